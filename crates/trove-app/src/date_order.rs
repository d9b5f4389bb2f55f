//! Before a feedback import stores anything: the order of day and month of the file's
//! numeric dates, decided from the whole time column (never row by row).

use std::borrow::Cow;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use tempfile::SpooledTempFile;
use trove_ingest::{FileError, Mapping, ReadOptions};

/// Inputs up to this size are copied in memory; larger ones to a temporary file.
const IN_MEMORY: usize = 16 * 1024 * 1024;

/// The input of an import: as given, or a copy when it had to be read twice.
pub(crate) enum Input<R> {
    Direct(R),
    Spooled(BufReader<SpooledTempFile>),
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Direct(reader) => reader.read(buf),
            Self::Spooled(reader) => reader.read(buf),
        }
    }
}

/// What a feedback import reads once the order of day and month is known.
pub(crate) struct Decided<'m, R> {
    /// The input, as given or copied.
    pub(crate) input: Input<R>,
    /// The mapping, with `time.dates` set when the column decided it.
    pub(crate) mapping: Cow<'m, Mapping>,
    /// The sentence saying how the order was decided, if it was.
    pub(crate) note: Option<String>,
}

/// The input to import, the mapping with the order of day and month it needs, and the
/// sentence saying how it was decided. When the mapping leaves the order open, the input
/// is first copied (standard input cannot be read twice, and the reader here is any `Read`):
/// in memory up to 16 MiB, beyond that to an anonymous file in the system's temporary folder;
/// its time column is read once, and the copy handed back.
pub(crate) fn decide<'m, R: Read>(
    mut reader: R,
    file: &str,
    mapping: &'m Mapping,
    options: &ReadOptions,
) -> Result<Decided<'m, R>, FileError> {
    if !mapping.date_order_undecided() {
        return Ok(Decided {
            input: Input::Direct(reader),
            mapping: Cow::Borrowed(mapping),
            note: None,
        });
    }
    let io_error = |source: io::Error| FileError::Io {
        file: file.to_owned(),
        source,
    };
    let mut spool = tempfile::spooled_tempfile(IN_MEMORY);
    io::copy(&mut reader, &mut spool).map_err(io_error)?;
    spool.seek(SeekFrom::Start(0)).map_err(io_error)?;
    let decision =
        trove_ingest::decide_date_order(BufReader::new(&mut spool), file, mapping, options)?;
    spool.seek(SeekFrom::Start(0)).map_err(io_error)?;
    let input = Input::Spooled(BufReader::new(spool));
    let Some(decision) = decision else {
        return Ok(Decided {
            input,
            mapping: Cow::Borrowed(mapping),
            note: None,
        });
    };
    let mut decided = mapping.clone();
    decided.time.dates = Some(decision.order);
    Ok(Decided {
        input,
        mapping: Cow::Owned(decided),
        note: Some(decision.to_string()),
    })
}
