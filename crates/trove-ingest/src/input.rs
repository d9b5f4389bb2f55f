//! What a file is before it is read as records: its first bytes tell a workbook from text and
//! name what cannot be read (a PDF, an archive...); a byte-order mark or the named encoding
//! tells how to turn the text into UTF-8. UTF-8 files are passed through as they are: only
//! other encodings are transcoded.

use std::io::{self, Chain, Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};

use crate::Format;
use crate::error::FileError;

/// How much of a file is looked at before reading it: enough for a header and some rows.
pub(crate) const SAMPLE_BYTES: usize = 64 * 1024;

/// A text encoding named by the user (`--encoding`, `encoding = "..."` in a mapping).
///
/// Any WHATWG encoding label is accepted: `utf-8`, `utf-16` (little-endian, as Excel's
/// "Unicode text"), `utf-16be`, `windows-1252`, `cp1252`, `latin1` / `iso-8859-1` (read as
/// Windows-1252, as browsers do), `iso-8859-15`, `shift_jis`... A byte-order mark in the file
/// takes precedence over the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding(&'static Encoding);

impl TextEncoding {
    /// Reads an encoding name.
    pub fn parse(label: &str) -> Result<Self, String> {
        let label = label.trim();
        let lower = label.to_ascii_lowercase();
        let found = match lower.as_str() {
            "utf16" | "unicode" => Some(UTF_16LE),
            "utf16le" => Some(UTF_16LE),
            "utf16be" => Some(UTF_16BE),
            "cp-1252" | "windows1252" => Some(WINDOWS_1252),
            _ => Encoding::for_label_no_replacement(label.as_bytes()),
        };
        found.map(Self).ok_or_else(|| {
            format!(
                "encoding {label:?} is not known: use utf-8, utf-16, utf-16be, windows-1252 (latin1) or another WHATWG encoding name"
            )
        })
    }

    /// The encoding's canonical name (`UTF-8`, `windows-1252`...).
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

/// A file opened for reading.
#[expect(
    clippy::large_enum_variant,
    reason = "made once per file and taken apart at once"
)]
pub(crate) enum Opened<R> {
    /// Text, as UTF-8.
    Text(TextInput<R>),
    /// A workbook's bytes, whole (workbook readers need to seek).
    Workbook(Vec<u8>),
}

/// The input's bytes counted as they are taken (for progress), shared with the readers above.
pub(crate) struct Counted<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

type Peeked<R> = Chain<Cursor<Vec<u8>>, R>;

enum TextReader<R> {
    Utf8(Peeked<Counted<R>>),
    Decoded(Peeked<DecodeReaderBytes<Peeked<Counted<R>>, Vec<u8>>>),
}

/// A text file as UTF-8, with its first [`SAMPLE_BYTES`] (after decoding) at hand.
pub(crate) struct TextInput<R> {
    reader: TextReader<R>,
    raw_bytes: Arc<AtomicU64>,
    /// Whether the sample is the whole text.
    whole: bool,
}

impl<R: Read> TextInput<R> {
    /// The first bytes of the text, before any of it is read.
    pub(crate) fn sample(&self) -> &[u8] {
        match &self.reader {
            TextReader::Utf8(r) => r.get_ref().0.get_ref(),
            TextReader::Decoded(r) => r.get_ref().0.get_ref(),
        }
    }

    /// Whether [`Self::sample`] holds the whole text.
    pub(crate) fn sample_is_whole(&self) -> bool {
        self.whole
    }

    /// A counter of the bytes taken from the file so far.
    pub(crate) fn raw_bytes(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.raw_bytes)
    }
}

impl<R: Read> Read for TextInput<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.reader {
            TextReader::Utf8(r) => r.read(buf),
            TextReader::Decoded(r) => r.read(buf),
        }
    }
}

/// Looks at the file's first bytes and opens it as text or as a workbook. `encoding` is the
/// one the user named; without it, a byte-order mark decides, else the text must be UTF-8.
pub(crate) fn open<R: Read>(
    reader: R,
    file: &str,
    format: Format,
    encoding: Option<TextEncoding>,
) -> Result<Opened<R>, FileError> {
    let io_error = |source| FileError::Io {
        file: file.to_owned(),
        source,
    };
    let raw_bytes = Arc::new(AtomicU64::new(0));
    let mut raw = Counted {
        inner: reader,
        bytes: Arc::clone(&raw_bytes),
    };
    let (mut sample, whole) = peek(&mut raw).map_err(io_error)?;
    if format == Format::Workbook || is_workbook_container(&sample) {
        if !whole {
            raw.read_to_end(&mut sample).map_err(io_error)?;
        }
        return Ok(Opened::Workbook(sample));
    }
    if let Some(what) = not_text(&sample) {
        return Err(FileError::NotReadable {
            file: file.to_owned(),
            what: what.to_owned(),
        });
    }
    let (bom, bom_len) = match Encoding::for_bom(&sample) {
        Some((found, len)) => (Some(found), len),
        None => (None, 0),
    };
    sample.drain(..bom_len);
    let chosen = bom.or(encoding.map(|e| e.0));
    if bom.is_none()
        && let Some(named) = encoding
    {
        check_named(&sample, whole, named.0).map_err(|message| FileError::Encoding {
            file: file.to_owned(),
            message,
        })?;
    }
    let (reader, whole) = match chosen {
        Some(other) if other != UTF_8 => {
            let mut decoder = DecodeReaderBytesBuilder::new()
                .encoding(Some(other))
                .bom_sniffing(false)
                .build(Cursor::new(sample).chain(raw));
            let (decoded, whole) = peek(&mut decoder).map_err(io_error)?;
            (
                TextReader::Decoded(Cursor::new(decoded).chain(decoder)),
                whole,
            )
        }
        _ => {
            if chosen.is_none() {
                check_utf8(&sample, whole).map_err(|message| FileError::Encoding {
                    file: file.to_owned(),
                    message,
                })?;
            }
            (TextReader::Utf8(Cursor::new(sample).chain(raw)), whole)
        }
    };
    Ok(Opened::Text(TextInput {
        reader,
        raw_bytes,
        whole,
    }))
}

/// Refuses a named encoding that the text plainly is not in: UTF-16 without a zero byte, or
/// another encoding for text that is UTF-8 beyond ASCII (which it would garble).
fn check_named(sample: &[u8], whole: bool, named: &'static Encoding) -> Result<(), String> {
    let name = named.name();
    if named == UTF_8 || sample.is_empty() {
        return Ok(());
    }
    if (named == UTF_16LE || named == UTF_16BE) && !sample.contains(&0) {
        return Err(format!(
            "this is not {name} text (it has no zero bytes): drop --encoding, or name the file's own"
        ));
    }
    let utf8 = match std::str::from_utf8(sample) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() && !whole => {
            std::str::from_utf8(&sample[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return Ok(()),
    };
    let Some(at) = utf8.find(|c: char| !c.is_ascii()) else {
        return Ok(());
    };
    let line_start = utf8[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = utf8[at..].find('\n').map_or(utf8.len(), |i| at + i);
    let line = utf8[line_start..line_end].trim_end();
    let garbled = named.decode_without_bom_handling(line.as_bytes()).0;
    Err(format!(
        "this is UTF-8 text, not {name}: read as {name}, {:?} would become {:?}; drop --encoding (or name utf-8)",
        crate::error::excerpt(line),
        crate::error::excerpt(&garbled)
    ))
}

/// Reads up to [`SAMPLE_BYTES`]; true when that is the whole input.
fn peek(reader: &mut impl Read) -> io::Result<(Vec<u8>, bool)> {
    let mut sample = Vec::with_capacity(SAMPLE_BYTES);
    reader
        .by_ref()
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)?;
    let whole = sample.len() < SAMPLE_BYTES;
    Ok((sample, whole))
}

/// A ZIP archive (.xlsx, .xlsm, .ods) or an OLE2 compound document (.xls).
fn is_workbook_container(sample: &[u8]) -> bool {
    sample.starts_with(b"PK\x03\x04") || sample.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
}

/// What a file whose first bytes are `sample` seems to be, when it is not a workbook (say
/// why, for a message).
pub(crate) fn not_a_workbook(sample: &[u8]) -> &'static str {
    if sample.starts_with(b"PK") {
        "a ZIP archive that is not a workbook: unzip it and import the file inside"
    } else if sample.starts_with(b"\xD0\xCF\x11\xE0") {
        "a Microsoft Office document that is not an Excel workbook (a Word file, an Outlook message?)"
    } else {
        not_text(sample).unwrap_or(
            "text, not a workbook: name it .csv (or give --input-format csv) to read it as CSV",
        )
    }
}

/// Known binary formats by their first bytes, and binary data in general.
fn not_text(sample: &[u8]) -> Option<&'static str> {
    const MAGIC: [(&[u8], &str); 16] = [
        (b"%PDF", "a PDF document"),
        (
            b"\x1F\x8B",
            "a gzip-compressed file: decompress it first (gunzip)",
        ),
        (
            b"BZh",
            "a bzip2-compressed file: decompress it first (bunzip2)",
        ),
        (
            b"\xFD7zXZ\x00",
            "an xz-compressed file: decompress it first (unxz)",
        ),
        (
            b"\x28\xB5\x2F\xFD",
            "a zstd-compressed file: decompress it first (unzstd)",
        ),
        (
            b"7z\xBC\xAF\x27\x1C",
            "a 7-Zip archive: extract the file inside first",
        ),
        (b"Rar!", "a RAR archive: extract the file inside first"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x7FELF", "a program (ELF executable)"),
        (b"SQLite format 3\x00", "an SQLite database"),
        (b"PAR1", "a Parquet file"),
        (b"{\\rtf", "an RTF document"),
        (b"\x50\x4B\x05\x06", "an empty ZIP archive"),
        (b"MZ\x90\x00", "a Windows program"),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(magic, _)| sample.starts_with(magic)) {
        return Some(what);
    }
    let start = &sample[..sample.len().min(1024)];
    let lower = String::from_utf8_lossy(start).to_ascii_lowercase();
    let lower = lower.trim_start();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        return Some(
            "an HTML page (some \"Excel\" exports are web pages: open it in Excel and save it as .xlsx or CSV)",
        );
    }
    if lower.starts_with("<?xml") {
        return Some("an XML document");
    }
    None
}

/// Refuses text that is not UTF-8, saying which encoding it seems to be in.
fn check_utf8(sample: &[u8], whole: bool) -> Result<(), String> {
    if let Some(message) = utf16_without_bom(sample) {
        return Err(message);
    }
    let error = match std::str::from_utf8(sample) {
        Ok(_) => return Ok(()),
        // A character cut by the end of the sample is not an error.
        Err(e) if e.error_len().is_none() && !whole => return Ok(()),
        Err(e) => e,
    };
    let bad = error.valid_up_to();
    if sample.contains(&0) {
        return Err("this is binary data, not text".into());
    }
    // Text with some UTF-8 beyond ASCII is UTF-8 with bad bytes in some rows: those rows are
    // rejected as they come. Only text whose every non-ASCII byte is invalid is in another
    // encoding, and refused before anything is read.
    if has_utf8_beyond_ascii(sample) {
        return Ok(());
    }
    let line_start = sample[..bad]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let line_end = memchr::memchr(b'\n', &sample[bad..]).map_or(sample.len(), |i| bad + i);
    let line_no = 1 + memchr::memchr_iter(b'\n', &sample[..bad]).count();
    let text = &sample[line_start..line_end];
    let fix = "--encoding utf-8 instead reads it as UTF-8 and rejects the rows with bad bytes";
    Err(match as_windows_1252(text, bad - line_start) {
        Some(reading) => format!(
            "not UTF-8: line {line_no} reads as Windows-1252 {:?}: name the encoding with --encoding windows-1252 (or encoding = \"windows-1252\" in the mapping); {fix}",
            crate::error::excerpt(reading.trim_end())
        ),
        None => format!(
            "not UTF-8: line {line_no} has the byte 0x{:02X}: name the file's encoding with --encoding (e.g. windows-1252, utf-16); {fix}",
            sample[bad]
        ),
    })
}

/// Whether a valid UTF-8 sequence of two bytes or more appears.
fn has_utf8_beyond_ascii(mut bytes: &[u8]) -> bool {
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => return !text.is_ascii(),
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                if !valid.is_ascii() {
                    return true;
                }
                match e.error_len() {
                    Some(skip) => bytes = &rest[skip..],
                    None => return false,
                }
            }
        }
    }
}

/// UTF-16 text without a byte-order mark: every other byte is zero.
fn utf16_without_bom(sample: &[u8]) -> Option<String> {
    let pairs = sample.len() / 2;
    if pairs < 4 {
        return None;
    }
    let zeros_at = |parity: usize| {
        sample
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    let mostly = |n: usize| n * 10 >= pairs * 9;
    let which = if mostly(odd) && even == 0 {
        "utf-16le"
    } else if mostly(even) && odd == 0 {
        "utf-16be"
    } else {
        return None;
    };
    Some(format!(
        "this looks like UTF-16 text without a byte-order mark: name it with --encoding {which}"
    ))
}

/// The text read as Windows-1252, when its first byte that is not UTF-8 (at `bad`) is a
/// letter or sign there (not a control character, as 0x81 or 0x9D are).
pub(crate) fn as_windows_1252(text: &[u8], bad: usize) -> Option<String> {
    let byte = [*text.get(bad)?];
    let (decoded, _) = WINDOWS_1252.decode_without_bom_handling(&byte);
    if decoded.chars().next()?.is_control() {
        return None;
    }
    Some(
        WINDOWS_1252
            .decode_without_bom_handling(text)
            .0
            .into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_named_as_people_write_them() {
        let name = |label| TextEncoding::parse(label).map(|e| e.name());
        assert_eq!(name("latin1"), Ok("windows-1252"));
        assert_eq!(name("Windows-1252"), Ok("windows-1252"));
        assert_eq!(name("cp1252"), Ok("windows-1252"));
        assert_eq!(name("utf-16"), Ok("UTF-16LE"));
        assert_eq!(name("UTF16BE"), Ok("UTF-16BE"));
        assert_eq!(name("utf8"), Ok("UTF-8"));
        assert!(name("klingon").is_err());
    }

    #[test]
    fn a_named_encoding_that_would_garble_utf8_text_is_refused() {
        let error = check_named("id,text\n1,café\n".as_bytes(), true, WINDOWS_1252).unwrap_err();
        assert_eq!(
            error,
            "this is UTF-8 text, not windows-1252: read as windows-1252, \"1,café\" would become \
             \"1,cafÃ©\"; drop --encoding (or name utf-8)"
        );
        assert!(check_named(b"id,text\n1,cafe\n", true, WINDOWS_1252).is_ok());
        assert!(check_named(b"id,text\n1,caf\xE9\n", true, WINDOWS_1252).is_ok());
        assert!(check_named(b"id,text\n", true, UTF_16LE).is_err());
    }

    #[test]
    fn binary_files_are_named_by_their_first_bytes() {
        assert_eq!(not_text(b"%PDF-1.7\n"), Some("a PDF document"));
        assert!(not_text(b"\x1F\x8B\x08\x00").is_some_and(|w| w.contains("gzip")));
        assert!(not_text(b"<!DOCTYPE html><table>").is_some_and(|w| w.contains("HTML")));
        assert_eq!(not_text(b"id,text\n1,MZ\n"), None);
        assert!(is_workbook_container(b"PK\x03\x04rest"));
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_with_the_encoding_to_try() {
        let error = check_utf8(b"id;text\n1;caf\xE9 cr\xE8me\n", true).unwrap_err();
        assert!(
            error.contains("line 2 reads as Windows-1252 \"1;café crème\""),
            "{error}"
        );
        assert!(error.contains("--encoding windows-1252"), "{error}");
        let utf16 = "id\ttext\n".encode_utf16().flat_map(u16::to_le_bytes);
        let error = check_utf8(&utf16.collect::<Vec<u8>>(), true).unwrap_err();
        assert!(error.contains("--encoding utf-16le"), "{error}");
        assert!(check_utf8("naïve\n".as_bytes(), true).is_ok());
        assert!(
            check_utf8(&[b"na\xC3\xAFve\n".as_slice(), b"caf\xE9\n"].concat(), true).is_ok(),
            "UTF-8 with a bad byte somewhere: rows are rejected one by one"
        );
        // A character cut at the end of a partial sample is fine.
        assert!(check_utf8(&"ï".as_bytes()[..1], false).is_ok());
    }
}
