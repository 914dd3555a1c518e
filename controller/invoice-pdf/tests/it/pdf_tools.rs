//! The PDF as outside tools read it (poppler 22.12, ImageMagick 6.9, zbar 0.23 from Debian 12,
//! installed by `scripts/setup-pdf-tools.sh`). Switched on by `SETU_PDF_TOOLS=1`; without it
//! each test skips with a message, except under CI (`CI` set), where it fails instead, so a
//! broken CI step cannot pass by skipping.

use std::path::{Path, PathBuf};
use std::process::Command;

use invoice_pdf::{Document, Renderer};
use unicode_normalization::UnicodeNormalization;

use super::{fixtures, golden};

/// The project's rule for tests that need an outside tool (as `service` in the other crates).
fn tools() -> bool {
    match std::env::var("SETU_PDF_TOOLS") {
        Ok(value) if !value.is_empty() => true,
        _ if std::env::var_os("CI").is_some() => {
            panic!("SETU_PDF_TOOLS is not set, and CI is: the test cannot skip")
        }
        _ => {
            println!("skipped: SETU_PDF_TOOLS is not set (run scripts/setup-pdf-tools.sh, then SETU_PDF_TOOLS=1)");
            false
        }
    }
}

/// A scratch directory per test, removed when the test passes and kept (and named) when it
/// fails, so the PNGs can be looked at.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("invoice-pdf-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn pdf(&self, name: &str, doc: &Document) -> PathBuf {
        let file = self.0.join(format!("{name}.pdf"));
        std::fs::write(&file, Renderer::new().render(doc).unwrap()).unwrap();
        file
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept {} for inspection", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Runs a tool and returns its stdout; a failure shows the command and its stderr.
fn run(program: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let output = Command::new(program)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (run scripts/setup-pdf-tools.sh)"));
    assert!(
        output.status.success(),
        "{program} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// NFC, then without whitespace: a tool may hand back another (canonically equal) sequence of
/// code points, and poppler inserts spaces inside some Bengali clusters (স্কু ল).
fn squash(s: &str) -> String {
    s.nfc().filter(|c| !c.is_whitespace()).collect()
}

/// Every face is embedded, subset and has a Unicode map (so text can be searched and copied),
/// and the faces are ours: a system font would show up under another name.
#[test]
fn pdffonts_shows_only_embedded_subset_unicode_noto_faces() {
    if !tools() {
        return;
    }
    let scratch = Scratch::new("fonts");
    for (name, doc, expected) in [
        (
            "english",
            fixtures::english(),
            &[
                "NotoSans-Regular",
                "NotoSans-Bold",
                "NotoSansBengali-Regular",
            ][..],
        ),
        (
            "bangla",
            fixtures::bangla(),
            &[
                "NotoSans-Regular",
                "NotoSansBengali-Regular",
                "NotoSansBengali-Bold",
            ][..],
        ),
    ] {
        let listing = run("pdffonts", &[&scratch.pdf(name, &doc)]);
        let mut faces = Vec::new();
        // Two header lines, then: name type... encoding emb sub uni object ID.
        for line in listing.lines().skip(2) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let n = cols.len();
            assert!(n >= 7, "unexpected pdffonts line {line:?}");
            assert_eq!(&cols[n - 5..n - 2], ["yes", "yes", "yes"], "{name}: {line}");
            let face = cols[0].split_once('+').map_or(cols[0], |(_, face)| face);
            faces.push(face.to_string());
        }
        assert!(
            faces.iter().all(|f| f.starts_with("NotoSans")),
            "{name}: {faces:?}"
        );
        for face in expected {
            assert!(
                faces.iter().any(|f| f == face),
                "{name}: {face} not in {faces:?}"
            );
        }
    }
}

/// Text extraction gives back what was printed: a viewer's search and copy, and the check
/// that the Bengali clusters were encoded with their Unicode text (see `squash`).
#[test]
fn pdftotext_gives_back_the_english_and_the_bangla_invoice() {
    if !tools() {
        return;
    }
    let scratch = Scratch::new("text");
    for (name, doc) in [
        ("english", fixtures::english()),
        ("bangla", fixtures::bangla()),
    ] {
        let text = squash(&run("pdftotext", &[&scratch.pdf(name, &doc), &"-"]));
        let mut expected = vec![
            doc.seller.name.clone(),
            doc.seller.address.clone(),
            doc.seller.bin.clone(),
            doc.buyer.name.clone(),
            doc.buyer.address.clone(),
            doc.number.clone(),
            doc.issued_at.clone(),
            doc.period.clone(),
            doc.due_on.clone(),
            doc.net_total.clone(),
            doc.vat_total.clone(),
            doc.total.clone(),
            doc.total_in_words.clone(),
            doc.authorised_by.clone(),
        ];
        for line in &doc.lines {
            expected.extend([
                line.description.clone(),
                line.net.clone(),
                line.vat.clone(),
                line.total.clone(),
            ]);
        }
        expected.extend(doc.how_to_pay.iter().cloned());
        if name == "bangla" {
            expected.extend(fixtures::CONJUNCT_WORDS.map(String::from));
            expected.push("কর চালানপত্র (মূসক-৬.৩)".into());
        } else {
            expected.push("Tax Invoice (Mushak-6.3)".into());
        }
        for s in expected {
            assert!(
                text.contains(&squash(&s)),
                "{name}: {s:?} not in pdftotext output:\n{text}"
            );
        }
    }
}

/// A phone's camera reads the payment link off the printed page.
#[test]
fn the_qr_code_on_the_page_scans_to_pay_url() {
    if !tools() {
        return;
    }
    let scratch = Scratch::new("qr");
    for (name, doc) in [
        ("english", fixtures::english()),
        ("bangla", fixtures::bangla()),
    ] {
        let pdf = scratch.pdf(name, &doc);
        let prefix = scratch.join(name);
        run(
            "pdftoppm",
            &[&"-r", &"150", &"-png", &"-singlefile", &pdf, &prefix],
        );
        let decoded = run(
            "zbarimg",
            &[
                &"--quiet",
                &"--raw",
                &"-Sdisable",
                &"-Sqrcode.enable",
                &prefix.with_extension("png"),
            ],
        );
        assert_eq!(decoded.trim_end(), doc.pay_url, "{name}");
    }
}

/// Renders a page region to PNG and compares it with the golden image pixel by pixel
/// (`compare -metric AE` must count 0 differing pixels: the same poppler renders the same PDF
/// identically, so any difference is a change in the PDF). `UPDATE_GOLDEN=1` rewrites it.
fn check_png(scratch: &Scratch, pdf: &Path, golden_name: &str, pdftoppm_args: &[&str]) {
    let prefix = scratch.join(golden_name.trim_end_matches(".png"));
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
        vec![&"-png", &"-f", &"1", &"-l", &"1", &"-singlefile"];
    args.extend(
        pdftoppm_args
            .iter()
            .map(|a| a as &dyn AsRef<std::ffi::OsStr>),
    );
    args.push(&pdf);
    args.push(&prefix);
    run("pdftoppm", &args);
    let actual = prefix.with_extension("png");
    let golden = golden::path(golden_name);
    if golden::updating() {
        std::fs::copy(&actual, &golden).unwrap();
        println!("updated {}", golden.display());
        return;
    }
    assert!(
        golden.exists(),
        "{} is missing (create it with UPDATE_GOLDEN=1)",
        golden.display()
    );
    let diff = scratch.join(&format!("diff-{golden_name}"));
    let output = Command::new("compare")
        .args(["-metric", "AE"])
        .args([&golden, &actual, &diff])
        .output()
        .expect("compare (run scripts/setup-pdf-tools.sh)");
    // compare prints the count on stderr and exits 1 when the images differ, 2 on an error.
    let count = String::from_utf8_lossy(&output.stderr).trim().to_string();
    assert_eq!(
        count, "0",
        "{golden_name}: {count} pixels differ from the golden image (diff in {}); if intended, regenerate with UPDATE_GOLDEN=1",
        diff.display()
    );
}

/// Page 1 of each fixture at 100 dpi against its golden image: layout, fonts and the QR code as
/// a person sees them.
#[test]
fn page_one_matches_the_golden_images() {
    if !tools() {
        return;
    }
    let scratch = Scratch::new("page");
    for name in ["english", "bangla"] {
        let doc = if name == "english" {
            fixtures::english()
        } else {
            fixtures::bangla()
        };
        let pdf = scratch.pdf(name, &doc);
        check_png(&scratch, &pdf, &format!("{name}-page1.png"), &["-r", "100"]);
    }
}

/// The buyer block and the first lines of the Bangla invoice at 300 dpi, where the conjuncts
/// (ক্ষ ঞ্জ স্ক ত্ত র্ম), Bengali digits and ৳ are large enough that a shaping regression (a
/// broken-up conjunct, a vowel sign in the wrong place) changes many pixels.
#[test]
fn the_bangla_conjuncts_match_the_golden_close_up() {
    if !tools() {
        return;
    }
    let scratch = Scratch::new("conjuncts");
    let pdf = scratch.pdf("bangla", &fixtures::bangla());
    // A4 at 300 dpi is 2480 × 3508 px; this box (looked at when it was made) holds both
    // parties' fields and the two table rows: ক্ষমা, উত্তর and স্কুল in the buyer's name and
    // address, ব্যঞ্জন and কর্ম in the descriptions. A layout change that moves them out of the
    // box fails the test too, and regenerating is the moment to look again.
    check_png(
        &scratch,
        &pdf,
        "bangla-conjuncts-300dpi.png",
        &[
            "-r", "300", "-x", "220", "-y", "620", "-W", "1800", "-H", "580",
        ],
    );
}
