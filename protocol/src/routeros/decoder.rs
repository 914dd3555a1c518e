//! Incremental decoding of sentences from a byte stream.
//!
//! Bytes arrive in whatever pieces TCP delivers (one byte at a time, or many sentences at once).
//! [`Decoder::feed`] buffers them and [`Decoder::next_sentence`] returns each complete sentence.
//! Sizes are checked against [`Limits`] as soon as a length prefix is read, before any word is
//! buffered, so a hostile peer announcing a 4 GiB word costs us nothing.

use super::length::{decode_length, LengthError};
use super::sentence::Sentence;

/// Upper bounds on what the decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest single word, in bytes.
    pub max_word_len: u32,
    /// Longest sentence, counting word contents.
    pub max_sentence_len: usize,
    /// Most words in one sentence.
    pub max_words: usize,
}

impl Default for Limits {
    /// Generous for ISP menus (a script or a long comment fits), small enough to bound memory.
    fn default() -> Self {
        Limits {
            max_word_len: 1 << 20,
            max_sentence_len: 4 << 20,
            max_words: 4096,
        }
    }
}

/// Why the stream cannot be decoded. After any of these the connection must be dropped: the
/// framing is lost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error(transparent)]
    Length(#[from] LengthError),
    #[error("word of {len} bytes exceeds the limit of {max}")]
    WordTooLong { len: u32, max: u32 },
    #[error("sentence exceeds the limit of {max} bytes")]
    SentenceTooLong { max: usize },
    #[error("sentence exceeds the limit of {max} words")]
    TooManyWords { max: usize },
}

/// Stateful decoder; one per connection direction.
#[derive(Debug, Default)]
pub struct Decoder {
    limits: Limits,
    buf: Vec<u8>,
    start: usize,
    words: Vec<Vec<u8>>,
    /// Word contents of the partial sentence, for the size limit.
    sentence_len: usize,
    /// Wire bytes (prefixes included) of the partial sentence.
    partial_wire_len: usize,
}

impl Decoder {
    pub fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            ..Decoder::default()
        }
    }

    /// Adds received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes received after the last complete sentence.
    pub fn pending_bytes(&self) -> usize {
        self.buf.len() - self.start + self.partial_wire_len
    }

    /// True when no partial sentence is held.
    pub fn is_idle(&self) -> bool {
        self.words.is_empty() && self.pending_bytes() == 0
    }

    /// Returns the next complete sentence, `Ok(None)` if more bytes are needed.
    ///
    /// Empty sentences (a lone zero byte) are skipped, as RouterOS does.
    pub fn next_sentence(&mut self) -> Result<Option<Sentence>, DecodeError> {
        loop {
            let avail = &self.buf[self.start..];
            let Some((len, prefix)) = decode_length(avail)? else {
                return Ok(None);
            };
            if len == 0 {
                self.start += prefix;
                self.sentence_len = 0;
                self.partial_wire_len = 0;
                if self.words.is_empty() {
                    continue;
                }
                return Ok(Some(Sentence::new(std::mem::take(&mut self.words))));
            }
            if len > self.limits.max_word_len {
                return Err(DecodeError::WordTooLong {
                    len,
                    max: self.limits.max_word_len,
                });
            }
            let len = len as usize;
            if self.sentence_len + len > self.limits.max_sentence_len {
                return Err(DecodeError::SentenceTooLong {
                    max: self.limits.max_sentence_len,
                });
            }
            if self.words.len() >= self.limits.max_words {
                return Err(DecodeError::TooManyWords {
                    max: self.limits.max_words,
                });
            }
            if avail.len() < prefix + len {
                return Ok(None);
            }
            self.words.push(avail[prefix..prefix + len].to_vec());
            self.start += prefix + len;
            self.sentence_len += len;
            self.partial_wire_len += prefix + len;
        }
    }
}

/// Decodes every complete sentence in `bytes`; trailing partial input is an error-free leftover
/// reported as its byte count.
pub fn decode_all(bytes: &[u8], limits: Limits) -> Result<(Vec<Sentence>, usize), DecodeError> {
    let mut decoder = Decoder::new(limits);
    decoder.feed(bytes);
    let mut out = Vec::new();
    while let Some(s) = decoder.next_sentence()? {
        out.push(s);
    }
    Ok((out, decoder.pending_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sentences() -> impl Strategy<Value = Vec<Sentence>> {
        let word = prop_oneof![
            8 => proptest::collection::vec(any::<u8>(), 1..40),
            1 => proptest::collection::vec(any::<u8>(), 120..300),
            1 => proptest::collection::vec(any::<u8>(), 0x4000..0x4100),
        ];
        let sentence = proptest::collection::vec(word, 1..6).prop_map(Sentence::new);
        proptest::collection::vec(sentence, 0..5)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the sentences and however TCP splits them, we get them back unchanged.
        #[test]
        fn round_trip_across_any_split(sentences in sentences(), cuts in proptest::collection::vec(1usize..97, 0..50)) {
            let wire: Vec<u8> = sentences.iter().flat_map(Sentence::encode).collect();
            let mut decoder = Decoder::new(Limits::default());
            let mut got = Vec::new();
            let mut rest = &wire[..];
            let mut cuts = cuts.into_iter().cycle();
            while !rest.is_empty() {
                let n = cuts.next().unwrap_or(rest.len()).min(rest.len());
                decoder.feed(&rest[..n]);
                rest = &rest[n..];
                while let Some(s) = decoder.next_sentence().unwrap() {
                    got.push(s);
                }
            }
            prop_assert_eq!(got, sentences);
            prop_assert!(decoder.is_idle());
        }
    }

    #[test]
    fn one_byte_at_a_time_with_the_81_00_prefix() {
        let word = vec![b'a'; 256];
        let s = Sentence::new(vec![b"=comment=".iter().chain(&word).copied().collect()]);
        let long = Sentence::new(vec![word.clone()]);
        let mut wire = long.encode();
        assert_eq!(&wire[..2], &[0x81, 0x00]);
        wire.extend(s.encode());
        let mut decoder = Decoder::default();
        let mut got = Vec::new();
        for b in wire {
            decoder.feed(&[b]);
            while let Some(s) = decoder.next_sentence().unwrap() {
                got.push(s);
            }
        }
        assert_eq!(got, vec![long, s]);
    }

    #[test]
    fn empty_sentences_are_skipped() {
        let (got, leftover) =
            decode_all(&[0, 0, 3, b'!', b'r', b'e', 0, 0], Limits::default()).unwrap();
        assert_eq!(got, vec![Sentence::from_words(["!re"])]);
        assert_eq!(leftover, 0);
    }

    #[test]
    fn hostile_lengths_are_refused_before_buffering() {
        let limits = Limits {
            max_word_len: 1000,
            max_sentence_len: 1500,
            max_words: 3,
        };
        // A 4 GiB word announced with only its prefix sent.
        let err = decode_all(&[0xF0, 0xFF, 0xFF, 0xFF, 0xFF], limits).unwrap_err();
        assert_eq!(
            err,
            DecodeError::WordTooLong {
                len: u32::MAX,
                max: 1000
            }
        );
        let mut big = Vec::new();
        for _ in 0..2 {
            Sentence::new(vec![vec![b'x'; 800]]).encode_into(&mut big);
            big.pop();
        }
        assert_eq!(
            decode_all(&big, limits).unwrap_err(),
            DecodeError::SentenceTooLong { max: 1500 }
        );
        let many = Sentence::from_words(["a", "b", "c", "d"]).encode();
        assert_eq!(
            decode_all(&many, limits).unwrap_err(),
            DecodeError::TooManyWords { max: 3 }
        );
        assert_eq!(
            decode_all(&[2, b'!', b'x', 0xF8], limits).unwrap_err(),
            DecodeError::Length(LengthError::ControlByte(0xF8))
        );
    }

    #[test]
    fn partial_input_is_kept_not_lost() {
        let wire = Sentence::from_words(["!done", "=ret=*1"]).encode();
        let (got, leftover) = decode_all(&wire[..wire.len() - 1], Limits::default()).unwrap();
        assert!(got.is_empty());
        assert_eq!(leftover, wire.len() - 1);
    }
}
