//! Feeds arbitrary bytes, split at arbitrary points, to the RouterOS decoder and reply parser.
//! Invariants: no panic; memory bounded by the limits; whatever decodes re-encodes to bytes that
//! decode to the same sentences.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::routeros::{Decoder, Limits, Reply, Request, Sentence};

fuzz_target!(|data: &[u8]| {
    let Some((&split, bytes)) = data.split_first() else { return };
    let limits = Limits { max_word_len: 4096, max_sentence_len: 16 * 1024, max_words: 64 };
    let mut decoder = Decoder::new(limits);
    let cut = usize::from(split).min(bytes.len());
    let mut sentences: Vec<Sentence> = Vec::new();
    for part in [&bytes[..cut], &bytes[cut..]] {
        decoder.feed(part);
        loop {
            match decoder.next_sentence() {
                Ok(Some(s)) => sentences.push(s),
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(decoder.pending_bytes() <= bytes.len());
    }
    for s in &sentences {
        let _ = Reply::parse(s.clone());
        let _ = Request::parse(s);
        let mut again = Decoder::new(limits);
        again.feed(&s.encode());
        assert_eq!(again.next_sentence().ok().flatten().as_ref(), Some(s));
    }
});
