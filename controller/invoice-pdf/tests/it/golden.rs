//! Golden files in `tests/golden/`: a changed byte in the output is seen, and regenerating is
//! one command (`UPDATE_GOLDEN=1 cargo test -p invoice-pdf`), reviewed in the diff.

use std::path::PathBuf;

use invoice_pdf::Renderer;
use ring::digest::{digest, SHA256};

use super::fixtures;

pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

pub fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    digest(&SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares `actual` with the golden text file `name`, or rewrites it under `UPDATE_GOLDEN=1`.
fn check_text(name: &str, actual: &str) {
    let file = path(name);
    if updating() {
        std::fs::write(&file, format!("{actual}\n")).unwrap();
        println!("updated {}", file.display());
        return;
    }
    let expected = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e} (create it with UPDATE_GOLDEN=1)", file.display()));
    assert_eq!(
        expected.trim(),
        actual,
        "{name} changed; if the change is intended, regenerate with UPDATE_GOLDEN=1 and look at the PNGs"
    );
}

/// The exact bytes of the fixture invoices. Catches any change in output: template, fonts,
/// Typst version, timestamp or identifier handling (a lost fixed timestamp changes the hash on
/// every run, so this also guards determinism across processes).
#[test]
fn fixture_pdfs_match_their_golden_sha256() {
    let renderer = Renderer::new();
    for (name, doc) in [
        ("english", fixtures::english()),
        ("bangla", fixtures::bangla()),
        ("credit-note", fixtures::credit_note()),
    ] {
        let pdf = renderer.render(&doc).unwrap();
        check_text(&format!("{name}.pdf.sha256"), &sha256_hex(&pdf));
    }
}

/// A PDF whose fonts are embedded names them in its font dictionaries; a missing face (Bangla
/// falling back to boxes, or a system font sneaking in) shows here without any tool.
#[test]
fn the_pdf_is_a_pdf_and_names_the_embedded_noto_faces() {
    let renderer = Renderer::new();
    let pdf = renderer.render(&fixtures::bangla()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let contains = |needle: &str| pdf.windows(needle.len()).any(|w| w == needle.as_bytes());
    for face in [
        "NotoSans-Regular",
        "NotoSansBengali-Regular",
        "NotoSansBengali-Bold",
    ] {
        assert!(
            contains(&format!("+{face}")),
            "{face} is not embedded as a subset"
        );
    }
    assert!(contains("/FontFile2"), "no embedded TrueType font program");
}
