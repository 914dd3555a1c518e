//! One tax invoice (Mushak-6.3) or credit note (Mushak-6.7) to PDF bytes, in process.
//!
//! Typst is used as a library: the template (`invoice.typ`) and the four Noto faces are compiled
//! into the crate, the document's data reaches the template as one JSON string in `sys.inputs`,
//! and the only files the template can open are the logo and the QR code this crate hands it.
//! Nothing is read from the filesystem, the network or the installed fonts at run time, so the
//! same [`Document`] gives the same bytes on every machine.
//!
//! The crate does layout, not money: every amount arrives as text the caller formatted (lakh
//! grouping, ৳, Bengali digits if wanted).

mod data;
mod fonts;
mod qr;
mod stamp;
mod world;

#[cfg(test)]
mod tests;

use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::Smart;
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

use crate::fonts::Fonts;
use crate::world::{InvoiceWorld, Template};

/// The language of the template's labels. Data strings are printed as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Bn,
}

/// Which NBR form the document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Mushak-6.3, the tax invoice.
    TaxInvoice,
    /// Mushak-6.7, the credit note that corrects an issued tax invoice.
    CreditNote,
}

/// Seller or buyer as printed on the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    /// Free text; line breaks in it are kept.
    pub address: String,
    /// Business Identification Number; may be empty (a household subscriber has none), in which
    /// case the form shows a dash so the field is visibly blank rather than missing.
    pub bin: String,
    pub phone: String,
}

/// One row of the lines table; every amount is preformatted text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    /// Value excluding VAT and SD.
    pub net: String,
    /// Supplementary duty rate and amount (Mushak-6.3 has the columns; empty prints a dash).
    pub sd_rate: String,
    pub sd: String,
    pub vat_rate: String,
    pub vat: String,
    pub total: String,
}

/// Everything one invoice or credit note shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub lang: Lang,
    pub kind: Kind,
    pub seller: Party,
    pub buyer: Party,
    /// Serial number, e.g. `INV-2026-27-000123` (a draft may pass `DRAFT`).
    pub number: String,
    /// Date and time of issue, already formatted in Dhaka time.
    pub issued_at: String,
    /// Billing period text; empty hides the row.
    pub period: String,
    /// Due date; empty hides it (credit notes).
    pub due_on: String,
    /// Credit note: the original invoice number and the reason; empty hides the row.
    pub reference: String,
    pub lines: Vec<Line>,
    pub net_total: String,
    pub sd_total: String,
    pub vat_total: String,
    /// Rounding adjustment; empty hides the row.
    pub rounding: String,
    pub total: String,
    pub total_in_words: String,
    /// One payment channel per entry, e.g. `bKash: 01712-345678 (merchant)`.
    pub how_to_pay: Vec<String>,
    /// Encoded as a QR code on the page; empty leaves the QR code out (credit notes).
    pub pay_url: String,
    /// Name and designation of the person responsible for the form (Mushak-6.3 asks for the
    /// name, designation and signature); printed under the signature line, which stays even
    /// when this is empty.
    pub authorised_by: String,
    /// Company logo as PNG; `None` sets the company name large instead.
    pub logo_png: Option<Vec<u8>>,
    /// The PDF's creation time (Unix seconds, written as Dhaka time): the only clock the PDF
    /// sees, so the same document always gives the same bytes.
    pub created_unix: i64,
}

/// Why a document could not be rendered. Input never panics the renderer; it ends here.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Typst refused the document (for example a logo that is not a decodable image); the text
    /// is Typst's diagnostics, one per line, with the template line where there is one.
    #[error("typst could not lay out the document: {0}")]
    Compile(String),
    /// The PDF export failed (Typst's diagnostics as text).
    #[error("typst could not write the PDF: {0}")]
    Export(String),
    /// `pay_url` does not fit in a QR code (more than about 2,300 bytes at level M).
    #[error("pay_url cannot be encoded as a QR code: {0}")]
    QrCode(#[from] qrcode::types::QrError),
    /// `created_unix` is outside the years 1–9999 a PDF date can hold.
    #[error("created_unix {0} is outside the years a PDF date can hold")]
    Timestamp(i64),
    /// The data could not be turned into the template's JSON (should not happen: every field
    /// is a string).
    #[error("could not encode the document for the template: {0}")]
    Data(#[from] serde_json::Error),
    /// Typst itself panicked (a bug in it, reached by some input): caught so that one document
    /// cannot take a server thread down with it.
    #[error("typst panicked while rendering: {0}")]
    Panicked(String),
}

/// Renders documents. Parsing the fonts and the template happens once, in [`Renderer::new`];
/// a render borrows them, so one `Renderer` in an `Arc` serves every thread.
pub struct Renderer {
    fonts: Fonts,
    template: Template,
}

/// How many evictions a memoised Typst result survives unused; [`typst::comemo::evict`] runs
/// after every render. Typst memoises into a process-wide cache that grows with every new
/// input, and nothing carries over between invoices (the data is part of the library's hash,
/// so the next document misses anyway: over 1,000 renders the benchmark ran no faster with 4
/// than with 0 and peaked at 49 MB against 36 MB). 1 rather than 0 keeps what a render still
/// in flight on another thread has just computed (Typst relies on it between layout
/// iterations), so concurrent renders do not wipe each other's work; the peak was 41 MB.
const CACHE_MAX_AGE: usize = 1;

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    pub fn new() -> Renderer {
        Renderer {
            fonts: Fonts::embedded(),
            template: Template::new(),
        }
    }

    /// The PDF of one document.
    pub fn render(&self, doc: &Document) -> Result<Vec<u8>, RenderError> {
        // Nothing here holds state a panic could leave half-changed: the world is dropped, and
        // Typst's caches are keyed by input hashes, so a result is either whole or absent.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.layout(doc)
                .and_then(|(paged, world)| export(&paged, &world, doc))
        }))
        .unwrap_or_else(|payload| Err(RenderError::Panicked(panic_message(payload.as_ref()))));
        typst::comemo::evict(CACHE_MAX_AGE);
        result
    }

    /// Lays the document out without exporting it: the pages as Typst sees them, for tests that
    /// read the text back exactly, and the world that produced them.
    fn layout(&self, doc: &Document) -> Result<(PagedDocument, InvoiceWorld<'_>), RenderError> {
        let world = InvoiceWorld::new(&self.fonts, &self.template, doc)?;
        let compiled = typst::compile::<PagedDocument>(&world);
        match compiled.output {
            Ok(paged) => Ok((paged, world)),
            Err(errors) => Err(RenderError::Compile(diagnostics(&world, &errors))),
        }
    }
}

fn export(
    paged: &PagedDocument,
    world: &InvoiceWorld<'_>,
    doc: &Document,
) -> Result<Vec<u8>, RenderError> {
    let options = PdfOptions {
        ident: Smart::Custom(ident(doc)),
        creator: Smart::Custom(Some("Setu".into())),
        timestamp: Some(stamp::dhaka(doc.created_unix)?),
        ..PdfOptions::default()
    };
    typst_pdf::pdf(paged, &options)
        .map_err(|errors| RenderError::Export(diagnostics(world, &errors)))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

/// The stable document identifier Typst hashes into the PDF's `/ID`: the form and its serial
/// number, which never change for an issued document.
fn ident(doc: &Document) -> String {
    let form = match doc.kind {
        Kind::TaxInvoice => "mushak-6.3",
        Kind::CreditNote => "mushak-6.7",
    };
    format!("setu:{form}:{}", doc.number)
}

/// Typst's diagnostics as text, one per line: severity, message, the template line when the
/// span points into the template, and hints.
fn diagnostics(world: &InvoiceWorld<'_>, list: &[SourceDiagnostic]) -> String {
    list.iter()
        .map(|diag| {
            let severity = match diag.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let mut text = format!("{severity}: {}", diag.message);
            if let Some(line) = world.template_line(diag.span) {
                text.push_str(&format!(" (invoice.typ line {line})"));
            }
            for hint in &diag.hints {
                text.push_str(&format!("; hint: {}", hint.v));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("\n")
}
