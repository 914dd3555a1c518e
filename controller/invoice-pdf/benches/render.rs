//! Rendering cost on one thread: prints figures, asserts nothing.
//!
//! `CARGO_TARGET_DIR=… cargo bench -p invoice-pdf` (release). Renders one-page, five-line
//! invoices, alternating Bangla and English, and prints the renderer's start-up, the first
//! render, the rate, the PDF sizes and the process's resident memory as the renders go on:
//! VmRSS levelling off and VmHWM after 1,000 renders show that Typst's memo cache is evicted.
//! `BENCH_RENDERS=N` changes the count.

use std::time::{Duration, Instant};

use invoice_pdf::{Document, Kind, Lang, Line, Party, Renderer};

#[path = "../tests/it/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

fn main() {
    let renders: usize = std::env::var("BENCH_RENDERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let english = fixtures::english();
    let bangla = five_line_bangla();

    let started = Instant::now();
    let renderer = Renderer::new();
    let startup = started.elapsed();

    let started = Instant::now();
    let first = renderer.render(&english).expect("render");
    let first_render = started.elapsed();
    let bangla_pdf = renderer.render(&bangla).expect("render");

    println!("invoice-pdf render benchmark (one thread, {renders} renders, 5 lines, Bangla and English alternating)");
    println!("  Renderer::new (parse 4 fonts):  {}", ms(startup));
    println!("  first render (English):         {}", ms(first_render));
    println!(
        "  PDF size: English {} bytes, Bangla {} bytes",
        first.len(),
        bangla_pdf.len()
    );
    println!("  VmRSS after the first renders:  {}", status("VmRSS"));

    let mut bytes = 0usize;
    let started = Instant::now();
    for i in 0..renders {
        let doc = if i % 2 == 0 { &bangla } else { &english };
        // Every invoice gets its own number and timestamp, as in production, so no two renders
        // are the same input.
        let doc = Document {
            number: format!("INV-2026-27-{i:06}"),
            created_unix: fixtures::CREATED + i as i64,
            ..doc.clone()
        };
        bytes += renderer.render(&doc).expect("render").len();
        if [99, 499].contains(&i) {
            println!(
                "  VmRSS after {:>5} renders:      {}",
                i + 1,
                status("VmRSS")
            );
        }
    }
    let elapsed = started.elapsed();
    println!(
        "  VmRSS after {renders:>5} renders:      {}",
        status("VmRSS")
    );
    println!(
        "  VmHWM (peak RSS) after {renders}:     {}",
        status("VmHWM")
    );
    println!(
        "  {renders} renders in {:.2} s: {:.1} invoices/s, {} per invoice, {} bytes per PDF on average",
        elapsed.as_secs_f64(),
        renders as f64 / elapsed.as_secs_f64(),
        ms(elapsed / renders.max(1) as u32),
        bytes / renders.max(1)
    );
}

/// The Bangla fixture with five lines, like the English one.
fn five_line_bangla() -> Document {
    let base = fixtures::bangla();
    let extra = [
        ("স্ট্যাটিক আইপি ঠিকানা", "৳৩০০.০০", "৳১৫.০০", "৳৩১৫.০০"),
        ("রাউটার ভাড়া (জুলাই)", "৳১৫০.০০", "৳৭.৫০", "৳১৫৭.৫০"),
        ("বিলম্ব ফি, জুন ২০২৬", "৳৫০.০০", "৳২.৫০", "৳৫২.৫০"),
    ];
    let mut lines = base.lines.clone();
    lines.extend(extra.iter().map(|(d, net, vat, total)| Line {
        quantity: "১".into(),
        vat_rate: "৫%".into(),
        ..fixtures::line(d, net, vat, total)
    }));
    Document { lines, ..base }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A line of /proc/self/status (Linux), e.g. `VmHWM:  123456 kB`.
fn status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .map(|l| l[key.len() + 1..].trim().to_string())
        })
        .unwrap_or_else(|| "unavailable".into())
}
