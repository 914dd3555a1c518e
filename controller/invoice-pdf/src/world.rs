//! The Typst world of one render: the embedded template and fonts, the document's data, and
//! the only two files the template may open (the logo and the QR code).

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Dict, Duration, Str, Value};
use typst::syntax::{DiagSpan, FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::fonts::Fonts;
use crate::{data, qr, Document, RenderError};

/// The parsed template and the file ids it uses, made once per [`crate::Renderer`].
///
/// The ids are interned by path (`FileId::new`), so every render and every renderer shares the
/// same three ids. (`Source::detached` would intern a fresh id per call, and Typst can hand out
/// only 65,535 of them in a process's life.)
pub(crate) struct Template {
    source: Source,
    pub(crate) logo: FileId,
    pub(crate) qr: FileId,
}

impl Template {
    pub(crate) fn new() -> Template {
        let main = project_file("/invoice.typ");
        Template {
            source: Source::new(main, include_str!("invoice.typ").to_owned()),
            logo: project_file("/logo.png"),
            qr: project_file("/qr.svg"),
        }
    }
}

/// The id of a file at the project root. The paths are constants of this module, so a failure
/// is a programming error caught by every test.
pub(crate) fn project_file(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("constant template paths are valid");
    FileId::new(RootedPath::new(VirtualRoot::Project, vpath))
}

pub(crate) struct InvoiceWorld<'a> {
    fonts: &'a Fonts,
    template: &'a Template,
    library: LazyHash<Library>,
    logo: Option<Bytes>,
    qr: Option<Bytes>,
}

impl<'a> InvoiceWorld<'a> {
    pub(crate) fn new(
        fonts: &'a Fonts,
        template: &'a Template,
        doc: &Document,
    ) -> Result<InvoiceWorld<'a>, RenderError> {
        let qr = if doc.pay_url.is_empty() {
            None
        } else {
            Some(Bytes::from_string(qr::svg(&qr::matrix(&doc.pay_url)?)))
        };
        let json = data::json(doc, qr.is_some())?;
        let mut inputs = Dict::new();
        inputs.insert(Str::from("data"), Value::Str(Str::from(json)));
        Ok(InvoiceWorld {
            fonts,
            template,
            library: LazyHash::new(Library::builder().with_inputs(inputs).build()),
            logo: doc.logo_png.clone().map(Bytes::new),
            qr,
        })
    }

    /// The 1-based template line a diagnostic points at, if it points into the template.
    pub(crate) fn template_line(&self, span: DiagSpan) -> Option<usize> {
        if span.id() != Some(self.template.source.id()) {
            return None;
        }
        let range = typst::WorldExt::range(self, span)?;
        self.template
            .source
            .lines()
            .byte_to_line(range.start)
            .map(|line| line + 1)
    }
}

impl World for InvoiceWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.template.source.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.template.source.id() {
            Ok(self.template.source.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let found = if id == self.template.logo {
            self.logo.clone()
        } else if id == self.template.qr {
            self.qr.clone()
        } else if id == self.template.source.id() {
            Some(Bytes::from_string(self.template.source.text().to_owned()))
        } else {
            None
        };
        found.ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.faces.get(index).cloned()
    }

    /// No clock: the template never asks for today's date, and a PDF that could would differ
    /// from one day to the next.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_without_slash().into())
}
