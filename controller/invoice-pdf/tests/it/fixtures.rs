//! Documents the tests render. Shared by the crate's unit tests (`src/tests.rs` includes this
//! file) and the integration tests, so the golden files and the unit checks see the same
//! invoices. Changing a fixture changes the golden files: regenerate with `UPDATE_GOLDEN=1`.

use super::{Document, Kind, Lang, Line, Party};

/// 2026-07-01 10:15 in Dhaka (04:15 UTC).
pub const CREATED: i64 = 1_782_879_300;

/// The conjuncts the Bangla fixture must print intact: ক্ষ ঞ্জ স্ক ত্ত র্ম.
pub const CONJUNCT_WORDS: [&str; 5] = ["ক্ষমা", "ব্যঞ্জন", "স্কুল", "উত্তর", "কর্ম"];

pub fn seller() -> Party {
    Party {
        name: "Setu Net Ltd.".into(),
        address: "House 12, Road 5, Dhanmondi, Dhaka 1205".into(),
        bin: "000123456-0101".into(),
        phone: "+880 1712-345678".into(),
    }
}

pub fn line(description: &str, net: &str, vat: &str, total: &str) -> Line {
    Line {
        description: description.into(),
        quantity: "1".into(),
        unit_price: net.into(),
        net: net.into(),
        sd_rate: String::new(),
        sd: String::new(),
        vat_rate: "5%".into(),
        vat: vat.into(),
        total: total.into(),
    }
}

/// A one-page English tax invoice with five lines: the golden fixture.
pub fn english() -> Document {
    Document {
        lang: Lang::En,
        kind: Kind::TaxInvoice,
        seller: seller(),
        buyer: Party {
            name: "Rahim Uddin".into(),
            address: "Flat 4B, 22 Lake Road, Uttara Sector 7, Dhaka 1230".into(),
            bin: String::new(),
            phone: "01812-000111".into(),
        },
        number: "INV-2026-27-000123".into(),
        issued_at: "01 Jul 2026, 10:15".into(),
        period: "01 Jul 2026 to 31 Jul 2026".into(),
        due_on: "10 Jul 2026".into(),
        reference: String::new(),
        lines: vec![
            line(
                "Home 20 Mbps, July 2026",
                "৳1,000.00",
                "৳50.00",
                "৳1,050.00",
            ),
            line("Static public IPv4 address", "৳300.00", "৳15.00", "৳315.00"),
            line(
                "Router rental (TP-Link Archer C6)",
                "৳150.00",
                "৳7.50",
                "৳157.50",
            ),
            line(
                "Installation and cabling, 40 m",
                "৳1,20,000.00",
                "৳6,000.00",
                "৳1,26,000.00",
            ),
            line("Late fee, June 2026", "৳50.00", "৳2.50", "৳52.50"),
        ],
        net_total: "৳1,21,500.00".into(),
        sd_total: "৳0.00".into(),
        vat_total: "৳6,075.00".into(),
        rounding: "৳0.00".into(),
        total: "৳1,27,575.00".into(),
        total_in_words: "One lakh twenty-seven thousand five hundred seventy-five taka only".into(),
        how_to_pay: vec![
            "bKash: 01712-345678 (merchant), reference INV-2026-27-000123".into(),
            "Nagad: 01812-345678 (merchant)".into(),
            "Cash at our Dhanmondi office, 10:00 to 18:00".into(),
            "Pay online: https://pay.setu.example/i/INV-2026-27-000123".into(),
        ],
        pay_url: "https://pay.setu.example/i/INV-2026-27-000123?t=8f3a2c91".into(),
        authorised_by: "Nusrat Jahan, Accounts Officer".into(),
        logo_png: None,
        created_unix: CREATED,
    }
}

/// A Bangla tax invoice whose buyer and lines hold the conjunct words, Bengali digits and ৳.
pub fn bangla() -> Document {
    Document {
        lang: Lang::Bn,
        seller: Party {
            name: "সেতু নেট লিমিটেড".into(),
            address: "বাড়ি ১২, সড়ক ৫, ধানমন্ডি, ঢাকা ১২০৫".into(),
            bin: "০০০১২৩৪৫৬-০১০১".into(),
            phone: "০১৭১২-৩৪৫৬৭৮".into(),
        },
        buyer: Party {
            name: "ক্ষমা রহমান".into(),
            address: "উত্তর বাড্ডা, স্কুল রোড, ঢাকা ১২১২".into(),
            bin: String::new(),
            phone: "০১৮১২-০০০১১১".into(),
        },
        number: "INV-2026-27-000124".into(),
        issued_at: "০১ জুলাই ২০২৬, সকাল ১০:১৫".into(),
        period: "০১ জুলাই ২০২৬ থেকে ৩১ জুলাই ২০২৬".into(),
        due_on: "১০ জুলাই ২০২৬".into(),
        lines: vec![
            Line {
                quantity: "১".into(),
                vat_rate: "৫%".into(),
                ..line(
                    "ব্যঞ্জন ২০ এমবিপিএস ইন্টারনেট, জুলাই ২০২৬",
                    "৳১,০০০.০০",
                    "৳৫০.০০",
                    "৳১,০৫০.০০",
                )
            },
            Line {
                quantity: "১".into(),
                vat_rate: "৫%".into(),
                ..line(
                    "সংযোগ স্থাপন কর্ম ও ক্যাবল",
                    "৳১,২০,০০০.০০",
                    "৳৬,০০০.০০",
                    "৳১,২৬,০০০.০০",
                )
            },
        ],
        net_total: "৳১,২১,০০০.০০".into(),
        sd_total: "৳০.০০".into(),
        vat_total: "৳৬,০৫০.০০".into(),
        rounding: String::new(),
        total: "৳১,২৭,০৫০.০০".into(),
        total_in_words: "এক লক্ষ সাতাশ হাজার পঞ্চাশ টাকা মাত্র".into(),
        how_to_pay: vec![
            "বিকাশ: ০১৭১২-৩৪৫৬৭৮ (মার্চেন্ট)".into(),
            "অনলাইনে: https://pay.setu.example/i/INV-2026-27-000124".into(),
        ],
        pay_url: "https://pay.setu.example/i/INV-2026-27-000124?t=77c0de".into(),
        authorised_by: "নুসরাত জাহান, হিসাব কর্মকর্তা".into(),
        ..english()
    }
}

/// A credit note against the English invoice.
pub fn credit_note() -> Document {
    Document {
        kind: Kind::CreditNote,
        number: "CN-2026-27-000007".into(),
        due_on: String::new(),
        reference: "INV-2026-27-000123: 3 days without service (BTRC waiver)".into(),
        lines: vec![line(
            "Service credit, 3 days",
            "৳100.00",
            "৳5.00",
            "৳105.00",
        )],
        net_total: "৳100.00".into(),
        vat_total: "৳5.00".into(),
        total: "৳105.00".into(),
        total_in_words: "One hundred five taka only".into(),
        how_to_pay: Vec::new(),
        pay_url: String::new(),
        ..english()
    }
}

/// The English invoice with `n` numbered lines.
pub fn with_lines(n: usize) -> Document {
    Document {
        lines: (1..=n)
            .map(|i| line(&format!("Item number {i}."), "৳10.00", "৳0.50", "৳10.50"))
            .collect(),
        ..english()
    }
}

/// Every string empty, no lines, no payment channels.
pub fn empty() -> Document {
    let blank = Party {
        name: String::new(),
        address: String::new(),
        bin: String::new(),
        phone: String::new(),
    };
    Document {
        lang: Lang::En,
        kind: Kind::TaxInvoice,
        seller: blank.clone(),
        buyer: blank,
        number: String::new(),
        issued_at: String::new(),
        period: String::new(),
        due_on: String::new(),
        reference: String::new(),
        lines: Vec::new(),
        net_total: String::new(),
        sd_total: String::new(),
        vat_total: String::new(),
        rounding: String::new(),
        total: String::new(),
        total_in_words: String::new(),
        how_to_pay: Vec::new(),
        pay_url: String::new(),
        authorised_by: String::new(),
        logo_png: None,
        created_unix: 0,
    }
}

/// Strings that mean something in Typst markup or code, or in JSON, and must print as written.
pub const SPECIAL: [&str; 6] = [
    r#"Quote " and 'single' \ backslash"#,
    "#panic(\"boom\") #let x = 1",
    "$x^2$ *bold* _emph_ `raw` ~nbsp",
    "] ) } [link](x) <label> @ref",
    "// not a comment /* nor this */",
    "= Heading? - list? + enum? ক্ষমা ৳১,২৩,৪৫৬.৫০",
];
