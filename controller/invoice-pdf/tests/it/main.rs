//! invoice-pdf's integration tests: the PDF bytes against a golden hash, and, with
//! `SETU_PDF_TOOLS=1` (after `scripts/setup-pdf-tools.sh`), poppler, ImageMagick and zbar
//! reading the PDF the way a viewer, a printer and a phone would.

use invoice_pdf::{Document, Kind, Lang, Line, Party};

#[allow(dead_code)]
mod fixtures;
mod golden;
mod pdf_tools;
