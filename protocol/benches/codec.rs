//! Codec throughput: `cargo bench -p protocol --bench codec`. Prints figures; asserts nothing.

use protocol::routeros::{Decoder, Limits, Reply, Sentence};
use std::hint::black_box;
use std::time::Instant;

/// A `/ppp/secret/print` reply row of realistic size.
fn row(i: usize) -> Sentence {
    Sentence::from_words([
        "!re".to_owned(),
        ".tag=42".to_owned(),
        format!("=.id=*{i:X}"),
        format!("=name=subscriber-{i}"),
        "=password=k7Qm2vXa".to_owned(),
        "=profile=setu-10M".to_owned(),
        "=service=pppoe".to_owned(),
        format!("=remote-address=10.20.{}.{}", i / 250, i % 250 + 1),
        "=disabled=false".to_owned(),
        format!("=comment=setu:sub={i}"),
    ])
}

fn main() {
    let rows: Vec<Sentence> = (0..100_000).map(row).collect();
    let wire: Vec<u8> = rows.iter().flat_map(Sentence::encode).collect();
    let mb = wire.len() as f64 / 1e6;

    let rounds = 5;
    let start = Instant::now();
    for _ in 0..rounds {
        let mut out = Vec::with_capacity(wire.len());
        for s in &rows {
            s.encode_into(&mut out);
        }
        black_box(out);
    }
    let secs = start.elapsed().as_secs_f64() / f64::from(rounds);
    println!(
        "encode: {:.0} MB/s, {:.0} sentences/s",
        mb / secs,
        rows.len() as f64 / secs
    );

    let start = Instant::now();
    for _ in 0..rounds {
        let mut decoder = Decoder::new(Limits::default());
        let mut n = 0;
        for chunk in wire.chunks(16 * 1024) {
            decoder.feed(chunk);
            while let Some(s) = decoder.next_sentence().expect("valid") {
                black_box(Reply::parse(s).expect("valid"));
                n += 1;
            }
        }
        assert_eq!(n, rows.len());
    }
    let secs = start.elapsed().as_secs_f64() / f64::from(rounds);
    println!(
        "decode+parse (16 KiB reads): {:.0} MB/s, {:.0} sentences/s ({} sentences, {:.1} MB)",
        mb / secs,
        rows.len() as f64 / secs,
        rows.len(),
        mb
    );
}
