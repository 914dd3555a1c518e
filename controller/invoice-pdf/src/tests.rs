//! Unit tests that read the laid-out pages (the exact text Typst placed, page by page), which
//! only the crate itself can see; byte-level and tool-based checks are in `tests/it/`.

use std::sync::Arc;

use typst::layout::{Frame, FrameItem};
use typst::World;

use crate::world::InvoiceWorld;
use crate::{Document, Kind, Lang, Line, Party, RenderError, Renderer};

#[path = "../tests/it/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

/// The text of each page in reading order, whitespace removed: Typst splits runs at spaces,
/// fonts and line ends, so comparing without whitespace asks only "is this printed, in order".
fn page_texts(renderer: &Renderer, doc: &Document) -> Vec<String> {
    let (paged, _) = renderer.layout(doc).unwrap();
    paged
        .pages()
        .iter()
        .map(|page| squash(&frame_text(&page.frame)))
        .collect()
}

fn frame_text(frame: &Frame) -> String {
    let mut out = String::new();
    for (_, item) in frame.items() {
        match item {
            FrameItem::Group(group) => out.push_str(&frame_text(&group.frame)),
            FrameItem::Text(text) => out.push_str(&text.text),
            _ => {}
        }
    }
    out
}

fn count_images(frame: &Frame) -> usize {
    frame
        .items()
        .map(|(_, item)| match item {
            FrameItem::Group(group) => count_images(&group.frame),
            FrameItem::Image(..) => 1,
            _ => 0,
        })
        .sum()
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn all_text(renderer: &Renderer, doc: &Document) -> String {
    page_texts(renderer, doc).concat()
}

#[test]
fn renderer_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Renderer>();
    assert_send_sync::<Arc<Renderer>>();
}

#[test]
fn the_same_document_gives_the_same_bytes_from_one_or_two_renderers_in_any_order() {
    let one = Renderer::new();
    let first = one.render(&fixtures::english()).unwrap();
    assert!(first.starts_with(b"%PDF-"));
    // Another document in between leaves Typst's caches in another state.
    one.render(&fixtures::bangla()).unwrap();
    assert_eq!(one.render(&fixtures::english()).unwrap(), first);
    assert_eq!(Renderer::new().render(&fixtures::english()).unwrap(), first);
}

#[test]
fn the_creation_time_and_number_are_what_changes_the_bytes() {
    let r = Renderer::new();
    let base = r.render(&fixtures::english()).unwrap();
    let later = Document {
        created_unix: fixtures::CREATED + 1,
        ..fixtures::english()
    };
    assert_ne!(r.render(&later).unwrap(), base);
}

#[test]
fn concurrent_renders_give_the_single_threaded_bytes() {
    let renderer = Arc::new(Renderer::new());
    let expected = [
        renderer.render(&fixtures::english()).unwrap(),
        renderer.render(&fixtures::bangla()).unwrap(),
    ];
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let renderer = Arc::clone(&renderer);
            std::thread::spawn(move || {
                (0..4)
                    .map(|i| {
                        let bangla = (t + i) % 2 == 1;
                        let doc = if bangla {
                            fixtures::bangla()
                        } else {
                            fixtures::english()
                        };
                        (usize::from(bangla), renderer.render(&doc).unwrap())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for thread in threads {
        for (which, bytes) in thread.join().unwrap() {
            assert!(bytes == expected[which], "a concurrent render differs");
        }
    }
}

#[test]
fn markup_and_json_specials_print_literally_in_every_field() {
    let r = Renderer::new();
    let special = |i: usize| fixtures::SPECIAL[i % fixtures::SPECIAL.len()].to_string();
    let doc = Document {
        seller: Party {
            name: special(0),
            address: special(1),
            bin: special(2),
            phone: special(3),
        },
        buyer: Party {
            name: special(4),
            address: special(5),
            bin: special(0),
            phone: special(1),
        },
        number: special(2),
        issued_at: special(3),
        period: special(4),
        due_on: special(5),
        lines: fixtures::SPECIAL
            .iter()
            .map(|s| Line {
                description: s.to_string(),
                quantity: s.to_string(),
                ..Line::default()
            })
            .collect(),
        total_in_words: special(0),
        how_to_pay: fixtures::SPECIAL.iter().map(|s| s.to_string()).collect(),
        authorised_by: special(1),
        ..fixtures::english()
    };
    let text = all_text(&r, &doc);
    for s in fixtures::SPECIAL {
        assert!(
            text.contains(&squash(s)),
            "{s:?} is not printed literally in {text}"
        );
    }
}

#[test]
fn labels_follow_the_language_and_the_form() {
    let r = Renderer::new();
    let cases = [
        (Lang::En, Kind::TaxInvoice, "Tax Invoice (Mushak-6.3)"),
        (Lang::Bn, Kind::TaxInvoice, "কর চালানপত্র (মূসক-৬.৩)"),
        (Lang::En, Kind::CreditNote, "Credit Note (Mushak-6.7)"),
        (Lang::Bn, Kind::CreditNote, "ক্রেডিট নোট (মূসক-৬.৭)"),
    ];
    for (lang, kind, title) in cases {
        let text = all_text(
            &r,
            &Document {
                lang,
                kind,
                ..fixtures::english()
            },
        );
        assert!(text.contains(&squash(title)), "{lang:?} {kind:?}: {text}");
    }
    let bn = all_text(&r, &fixtures::bangla());
    for label in ["বিক্রেতা", "ক্রেতা", "বিআইএন", "মূসকের হার", "সম্পূরক শুল্ক", "কথায়"]
    {
        assert!(bn.contains(&squash(label)), "{label} missing");
    }
    assert!(
        !bn.contains("Buyer"),
        "an English label in the Bangla invoice"
    );
}

#[test]
fn the_mushak_fields_are_all_on_the_page() {
    let r = Renderer::new();
    let doc = fixtures::english();
    let text = all_text(&r, &doc);
    let expected = [
        "Seller",
        "Buyer",
        "BIN",
        "Invoice No.",
        "Date and time of issue",
        "Description",
        "Quantity",
        "Unit price",
        "Value excl. VAT",
        "SD",
        "VAT rate",
        "VAT",
        "Total",
        "Name, designation and signature",
    ];
    let data = [
        &doc.seller.name,
        &doc.seller.bin,
        &doc.seller.address,
        &doc.buyer.name,
        &doc.buyer.address,
        &doc.number,
        &doc.issued_at,
        &doc.period,
        &doc.due_on,
        &doc.net_total,
        &doc.vat_total,
        &doc.total,
        &doc.total_in_words,
        &doc.authorised_by,
        &doc.pay_url,
    ];
    for s in expected
        .iter()
        .copied()
        .chain(data.iter().map(|s| s.as_str()))
    {
        assert!(text.contains(&squash(s)), "{s:?} missing from {text}");
    }
    for line in &doc.lines {
        for cell in [
            &line.description,
            &line.net,
            &line.vat_rate,
            &line.vat,
            &line.total,
        ] {
            assert!(text.contains(&squash(cell)), "{cell:?} missing");
        }
    }
    // The buyer has no BIN: the field is there, showing a dash.
    assert!(text.contains("BIN—"), "{text}");
}

#[test]
fn two_hundred_lines_take_several_pages_each_with_the_header_row() {
    let r = Renderer::new();
    let pages = page_texts(&r, &fixtures::with_lines(200));
    assert!(pages.len() >= 4, "{} pages", pages.len());
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&squash("Description of goods or services")),
            "page {i}"
        );
        assert!(
            page.contains(&format!("Page{}/{}", i + 1, pages.len())),
            "page {i} footer"
        );
    }
    let all = pages.concat();
    for i in 1..=200 {
        // Serial, description, quantity, unit price: the row as printed, and only once.
        let item = format!("{i}Itemnumber{i}.1৳10.00");
        assert_eq!(all.matches(&item).count(), 1, "line {i} printed once");
    }
}

#[test]
fn hostile_sizes_and_emptiness_render_without_error() {
    let r = Renderer::new();
    let long_word = "ক্ষ".repeat(400) + &"W".repeat(3000);
    let long_text = "বিবরণ description ".repeat(400);
    let docs = [
        fixtures::empty(),
        Document {
            lines: vec![Line::default(); 3],
            how_to_pay: vec![String::new()],
            ..fixtures::empty()
        },
        Document {
            lines: vec![
                fixtures::line(&long_word, &long_word, "", ""),
                fixtures::line(&long_text, "", "", ""),
            ],
            buyer: Party {
                name: long_word.clone(),
                address: long_text.clone(),
                ..fixtures::seller()
            },
            total_in_words: long_text.clone(),
            how_to_pay: vec![long_word.clone()],
            ..fixtures::english()
        },
        Document {
            buyer: Party {
                name: "line one\nline two\r\n\u{0}\u{7}\u{202e}tab\there".into(),
                ..fixtures::seller()
            },
            number: "😀 中文 عربي".into(),
            ..fixtures::english()
        },
    ];
    for doc in &docs {
        let pdf = r.render(doc).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
    let text = all_text(&r, &docs[2]);
    let start: String = long_text.chars().take(120).collect();
    assert!(text.contains(&squash(&start)));
}

#[test]
fn the_qr_image_is_the_matrix_qrcode_makes_for_pay_url() {
    let r = Renderer::new();
    let doc = fixtures::english();
    let world = InvoiceWorld::new(&r.fonts, &r.template, &doc).unwrap();
    let svg = world.file(r.template.qr).unwrap();
    let drawn = crate::qr::tests::read_back(std::str::from_utf8(&svg).unwrap());
    let code =
        qrcode::QrCode::with_error_correction_level(&doc.pay_url, qrcode::EcLevel::M).unwrap();
    let expected: Vec<Vec<bool>> = code
        .to_colors()
        .chunks(code.width())
        .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
        .collect();
    assert_eq!(drawn, expected);

    let images = |doc: &Document| {
        let (paged, _) = r.layout(doc).unwrap();
        paged
            .pages()
            .iter()
            .map(|p| count_images(&p.frame))
            .sum::<usize>()
    };
    assert_eq!(images(&doc), 1, "the QR code is placed once");
    assert_eq!(
        images(&Document {
            pay_url: String::new(),
            ..doc.clone()
        }),
        0
    );
}

#[test]
fn a_logo_replaces_the_large_name_and_a_broken_one_is_a_described_error() {
    let r = Renderer::new();
    let logo = include_bytes!("../tests/it/logo.png").to_vec();
    let with_logo = Document {
        logo_png: Some(logo),
        pay_url: String::new(),
        ..fixtures::english()
    };
    let (paged, _) = r.layout(&with_logo).unwrap();
    assert_eq!(count_images(&paged.pages()[0].frame), 1);
    assert!(r.render(&with_logo).unwrap().starts_with(b"%PDF-"));

    let broken = Document {
        logo_png: Some(b"not a png".to_vec()),
        ..fixtures::english()
    };
    match r.render(&broken) {
        Err(RenderError::Compile(text)) => assert!(text.contains("image"), "{text}"),
        other => panic!("expected a compile error, got {other:?}"),
    }
    // The renderer is still usable after an error.
    assert!(r.render(&fixtures::english()).is_ok());
}

#[test]
fn the_template_can_open_no_other_file() {
    let r = Renderer::new();
    let world = InvoiceWorld::new(&r.fonts, &r.template, &fixtures::credit_note()).unwrap();
    let elsewhere = crate::world::project_file("/etc/passwd");
    assert!(world.file(elsewhere).is_err());
    assert!(world.file(r.template.qr).is_err(), "no pay_url, no QR file");
    assert!(
        world.file(r.template.logo).is_err(),
        "no logo, no logo file"
    );
    assert!(world.today(None).is_none());
}

#[test]
fn an_unencodable_pay_url_and_an_impossible_date_are_errors() {
    let r = Renderer::new();
    let long = Document {
        pay_url: "x".repeat(5000),
        ..fixtures::english()
    };
    assert!(matches!(r.render(&long), Err(RenderError::QrCode(_))));
    let far = Document {
        created_unix: i64::MAX,
        ..fixtures::english()
    };
    assert!(matches!(r.render(&far), Err(RenderError::Timestamp(_))));
}

/// A small deterministic generator (xorshift64*), so the randomised test needs no dependency and
/// a failure is reproducible from the printed case number.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A string of up to `max` pieces drawn from what tends to break text engines: markup,
    /// lone Bengali signs (virama, vowel signs, nukta without a base), joiners, bidi controls,
    /// control characters, emoji, unassigned and private-use code points, long runs.
    fn text(&mut self, max: usize) -> String {
        const PIECES: &[&str] = &[
            "a",
            " ",
            "  ",
            "\n",
            "\r\n",
            "\t",
            "\u{0}",
            "\u{7}",
            "\u{1b}[31m",
            "#",
            "$",
            "*",
            "_",
            "`",
            "]",
            "[",
            "{",
            "}",
            "\\",
            "\"",
            "<a>",
            "@x",
            "//",
            "/*",
            "=",
            "-",
            "+",
            "~",
            "্",
            "ি",
            "ঁ",
            "়",
            "ৗ",
            "ক্",
            "ক্ষ",
            "র্",
            "্য",
            "\u{200c}",
            "\u{200d}",
            "\u{202e}",
            "\u{2066}",
            "\u{feff}",
            "\u{fffd}",
            "\u{ffff}",
            "\u{e000}",
            "\u{10ffff}",
            "😀",
            "👩‍👩‍👧",
            "中",
            "ع",
            "\u{301}",
            "৳",
            "১২৩",
            "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
        ];
        let pieces = self.below(max + 1);
        (0..pieces)
            .map(|_| PIECES[self.below(PIECES.len())])
            .collect()
    }
}

#[test]
fn random_hostile_text_in_every_field_renders_or_errs_but_never_panics() {
    let r = Renderer::new();
    let mut noise = Noise(0x5e7_u64 << 20 | 1);
    for case in 0..24 {
        let mut t = |max| noise.text(max);
        let party = |t: &mut dyn FnMut(usize) -> String| Party {
            name: t(8),
            address: t(20),
            bin: t(4),
            phone: t(4),
        };
        let doc = Document {
            seller: party(&mut t),
            buyer: party(&mut t),
            number: t(4),
            issued_at: t(4),
            period: t(6),
            due_on: t(4),
            reference: t(10),
            lines: (0..t(3).len() % 6)
                .map(|_| Line {
                    description: t(30),
                    quantity: t(2),
                    unit_price: t(3),
                    net: t(3),
                    sd_rate: t(2),
                    sd: t(2),
                    vat_rate: t(2),
                    vat: t(3),
                    total: t(3),
                })
                .collect(),
            net_total: t(3),
            sd_total: t(3),
            vat_total: t(3),
            rounding: t(2),
            total: t(3),
            total_in_words: t(20),
            how_to_pay: (0..3).map(|_| t(10)).collect(),
            pay_url: t(12),
            authorised_by: t(8),
            lang: if case % 2 == 0 { Lang::En } else { Lang::Bn },
            kind: if case % 3 == 0 {
                Kind::CreditNote
            } else {
                Kind::TaxInvoice
            },
            logo_png: None,
            created_unix: 0,
        };
        match r.render(&doc) {
            Ok(pdf) => assert!(pdf.starts_with(b"%PDF-"), "case {case}"),
            Err(RenderError::Panicked(message)) => panic!("case {case}: typst panicked: {message}"),
            Err(other) => panic!("case {case}: {other}"),
        }
    }
}
