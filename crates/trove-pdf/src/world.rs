//! typst's `World` over memory: the template, a map of files, the bundled fonts, a fixed date.

use std::collections::HashMap;
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};

use crate::{MAIN_FILE, PdfError};

/// The bundled faces, read once per process. See `fonts/README.md` for their licence.
static FONTS: LazyLock<Vec<Font>> = LazyLock::new(|| {
    let faces: [&'static [u8]; 4] = [
        include_bytes!("../fonts/OpenSans-Regular.ttf"),
        include_bytes!("../fonts/OpenSans-Semibold.ttf"),
        include_bytes!("../fonts/OpenSans-Bold.ttf"),
        include_bytes!("../fonts/OpenSans-Italic.ttf"),
    ];
    faces
        .into_iter()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect()
});

static BOOK: LazyLock<LazyHash<FontBook>> =
    LazyLock::new(|| LazyHash::new(FontBook::from_fonts(FONTS.iter())));

/// The standard library: no `sys.inputs`, so a template's only input is its files.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// One compilation's world.
pub(crate) struct VirtualWorld {
    main: Source,
    files: HashMap<FileId, Bytes>,
    today: Datetime,
}

impl VirtualWorld {
    pub(crate) fn new(
        template: &str,
        files: &[(&str, Vec<u8>)],
        today: Datetime,
    ) -> Result<Self, PdfError> {
        let main = Source::new(file_id(MAIN_FILE)?, template.to_owned());
        let files = files
            .iter()
            .map(|(name, bytes)| Ok((file_id(name)?, Bytes::new(bytes.clone()))))
            .collect::<Result<_, PdfError>>()?;
        Ok(Self { main, files, today })
    }

    /// A diagnostic as people read compiler output: `main.typ:12:5: error: message`, then its
    /// hints and the calls that led there.
    pub(crate) fn describe(&self, diagnostic: &SourceDiagnostic) -> String {
        let severity = match diagnostic.severity {
            typst::diag::Severity::Error => "error",
            typst::diag::Severity::Warning => "warning",
        };
        let mut text = format!(
            "{}: {severity}: {}",
            self.place(diagnostic.span),
            diagnostic.message
        );
        for hint in &diagnostic.hints {
            text.push_str(&format!("\n  hint: {}", hint.v));
        }
        for point in &diagnostic.trace {
            text.push_str(&format!("\n  {} at {}", point.v, self.place(point.span)));
        }
        text
    }

    /// `file:line:column` (1-based) of a span, or `<document>` when it points into no file.
    fn place(&self, span: impl Into<typst::syntax::DiagSpan>) -> String {
        let span = span.into();
        let Some(id) = span.id() else {
            return "<document>".to_owned();
        };
        let name = id.get().vpath().get_without_slash().to_owned();
        let position = self.range(span).and_then(|range| {
            let source = self.source(id).ok()?;
            source.lines().byte_to_line_column(range.start)
        });
        match position {
            Some((line, column)) => format!("{name}:{}:{}", line + 1, column + 1),
            None => name,
        }
    }
}

/// A file name as typst's path in the virtual folder; `..` out of it is refused.
fn file_id(name: &str) -> Result<FileId, PdfError> {
    let path = VirtualPath::new(name).map_err(|_| PdfError::BadFileName(name.to_owned()))?;
    if path.is_root() {
        return Err(PdfError::BadFileName(name.to_owned()));
    }
    Ok(RootedPath::new(VirtualRoot::Project, path).intern())
}

impl World for VirtualWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &BOOK
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        // Another template the main one includes or imports.
        let bytes = self.file(id)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.to_owned()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.get().vpath().get_without_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.get(index).cloned()
    }

    /// The caller's date whatever the offset asked: the document must not depend on the clock.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Datetime::from_ymd(self.today.year()?, self.today.month()?, self.today.day()?)
    }
}
