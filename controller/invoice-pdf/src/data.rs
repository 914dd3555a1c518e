//! The template's input: the document as one JSON string.
//!
//! Data reaches Typst only as JSON values that the template places as strings, never as markup
//! it evaluates, so quotes, `#`, `$`, `*`, `]` or Bangla print as written and nothing needs
//! escaping here. The field names below are the template's contract (`d.seller.name`, …).

use serde::Serialize;

use crate::{Document, Kind, Lang, Line, Party};

#[derive(Serialize)]
struct Data<'a> {
    lang: &'static str,
    kind: &'static str,
    seller: PartyData<'a>,
    buyer: PartyData<'a>,
    number: &'a str,
    issued_at: &'a str,
    period: &'a str,
    due_on: &'a str,
    reference: &'a str,
    lines: Vec<LineData<'a>>,
    net_total: &'a str,
    sd_total: &'a str,
    vat_total: &'a str,
    rounding: &'a str,
    total: &'a str,
    total_in_words: &'a str,
    how_to_pay: &'a [String],
    pay_url: &'a str,
    authorised_by: &'a str,
    /// Whether `/logo.png` and `/qr.svg` exist in the world; the template asks before it opens.
    has_logo: bool,
    has_qr: bool,
}

#[derive(Serialize)]
struct PartyData<'a> {
    name: &'a str,
    address: &'a str,
    bin: &'a str,
    phone: &'a str,
}

#[derive(Serialize)]
struct LineData<'a> {
    description: &'a str,
    quantity: &'a str,
    unit_price: &'a str,
    net: &'a str,
    sd_rate: &'a str,
    sd: &'a str,
    vat_rate: &'a str,
    vat: &'a str,
    total: &'a str,
}

/// The JSON the template reads from `sys.inputs.data`.
pub(crate) fn json(doc: &Document, has_qr: bool) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Data {
        lang: match doc.lang {
            Lang::En => "en",
            Lang::Bn => "bn",
        },
        kind: match doc.kind {
            Kind::TaxInvoice => "tax-invoice",
            Kind::CreditNote => "credit-note",
        },
        seller: party(&doc.seller),
        buyer: party(&doc.buyer),
        number: &doc.number,
        issued_at: &doc.issued_at,
        period: &doc.period,
        due_on: &doc.due_on,
        reference: &doc.reference,
        lines: doc.lines.iter().map(line).collect(),
        net_total: &doc.net_total,
        sd_total: &doc.sd_total,
        vat_total: &doc.vat_total,
        rounding: &doc.rounding,
        total: &doc.total,
        total_in_words: &doc.total_in_words,
        how_to_pay: &doc.how_to_pay,
        pay_url: &doc.pay_url,
        authorised_by: &doc.authorised_by,
        has_logo: doc.logo_png.is_some(),
        has_qr,
    })
}

fn party(p: &Party) -> PartyData<'_> {
    PartyData {
        name: &p.name,
        address: &p.address,
        bin: &p.bin,
        phone: &p.phone,
    }
}

fn line(l: &Line) -> LineData<'_> {
    LineData {
        description: &l.description,
        quantity: &l.quantity,
        unit_price: &l.unit_price,
        net: &l.net,
        sd_rate: &l.sd_rate,
        sd: &l.sd,
        vat_rate: &l.vat_rate,
        vat: &l.vat,
        total: &l.total,
    }
}
