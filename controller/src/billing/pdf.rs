//! The printed document: an invoice or credit note as `invoice-pdf` lays it out (Mushak-6.3 /
//! 6.7), in English or Bangla, with amounts in lakh grouping and in words, how to pay, and a QR
//! code of the payment page. The same document always gives the same bytes (the PDF's clock is
//! the time of issue).

use super::service::Shown;
use super::store::Settings;
use crate::kernel::i18n::Lang;
use billing_core::words::{self, Lang as WordsLang};
use invoice_pdf::{Document, Kind, Line, Party, Renderer};
use std::sync::OnceLock;

/// Parsed fonts and template, shared by every render.
fn renderer() -> &'static Renderer {
    static RENDERER: OnceLock<Renderer> = OnceLock::new();
    RENDERER.get_or_init(Renderer::new)
}

fn words_lang(lang: Lang) -> WordsLang {
    match lang {
        Lang::En => WordsLang::En,
        Lang::Bn => WordsLang::Bn,
    }
}

fn digits(text: &str, lang: Lang) -> String {
    match lang {
        Lang::En => text.to_owned(),
        Lang::Bn => words::bengali_digits(text),
    }
}

fn money(poisha: i64, lang: Lang) -> String {
    words::taka_figures(poisha, words_lang(lang))
}

/// Basis points as a percentage in the document's digits: `500` → `5%`, `750` → `7.5%`.
fn rate(bp: i64, lang: Lang) -> String {
    digits(&crate::kernel::i18n::percent(bp), lang)
}

/// The document `shown` as it is printed; `pay_url` opens its payment page.
pub fn document(shown: &Shown, settings: &Settings, lang: Lang, pay_url: &str) -> Document {
    let i = &shown.invoice;
    let credit = i.kind == "credit_note";
    let issued = i.issued_at.unwrap_or(i.created_at);
    let lines = shown
        .lines
        .iter()
        .map(|l| Line {
            description: l.description.clone(),
            quantity: digits(&l.quantity.to_string(), lang),
            unit_price: money(l.unit_price_poisha, lang),
            net: money(l.net_poisha, lang),
            sd_rate: if l.sd_rate_bp == 0 {
                String::new()
            } else {
                rate(l.sd_rate_bp, lang)
            },
            sd: if l.sd_poisha == 0 {
                String::new()
            } else {
                money(l.sd_poisha, lang)
            },
            vat_rate: rate(l.vat_rate_bp, lang),
            vat: money(l.vat_poisha, lang),
            total: money(l.total_poisha, lang),
        })
        .collect();
    let mut how_to_pay = Vec::new();
    if !credit {
        if !settings.bkash_number.is_empty() {
            how_to_pay.push(format!("bKash: {}", digits(&settings.bkash_number, lang)));
        }
        if !settings.payment_note.is_empty() {
            how_to_pay.push(settings.payment_note.clone());
        }
        how_to_pay.push(pay_url.to_owned());
    }
    Document {
        lang: match lang {
            Lang::En => invoice_pdf::Lang::En,
            Lang::Bn => invoice_pdf::Lang::Bn,
        },
        kind: if credit {
            Kind::CreditNote
        } else {
            Kind::TaxInvoice
        },
        seller: Party {
            name: i.seller_name.clone(),
            address: i.seller_address.clone(),
            bin: i.seller_bin.clone(),
            phone: String::new(),
        },
        buyer: Party {
            name: i.buyer_name.clone(),
            address: i.buyer_address.clone(),
            bin: String::new(),
            phone: digits(&i.buyer_phone, lang),
        },
        number: i.number.clone().unwrap_or_else(|| "DRAFT".to_owned()),
        issued_at: digits(&crate::kernel::date::dhaka_time(issued), lang),
        period: i
            .period
            .as_deref()
            .map_or(String::new(), |p| digits(p, lang)),
        due_on: i
            .due_on
            .as_deref()
            .map_or(String::new(), |d| digits(d, lang)),
        reference: match (&shown.credit_of_number, credit) {
            (Some(number), true) => format!("{number}: {}", i.note),
            (None, true) => i.note.clone(),
            _ => String::new(),
        },
        lines,
        net_total: money(i.net_poisha, lang),
        sd_total: money(i.sd_poisha, lang),
        vat_total: money(i.vat_poisha, lang),
        rounding: if i.rounding_poisha == 0 {
            String::new()
        } else {
            money(i.rounding_poisha, lang)
        },
        total: money(i.total_poisha, lang),
        total_in_words: words::taka_in_words(i.total_poisha, words_lang(lang)),
        how_to_pay,
        pay_url: if credit {
            String::new()
        } else {
            pay_url.to_owned()
        },
        authorised_by: String::new(),
        logo_png: None,
        created_unix: issued.div_euclid(1000),
    }
}

/// Renders on a blocking thread (layout is CPU work).
pub async fn render(doc: Document) -> crate::kernel::Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || renderer().render(&doc))
        .await
        .map_err(|e| crate::kernel::Error::Internal(e.into()))?
        .map_err(|e| crate::kernel::Error::Internal(e.into()))
}
