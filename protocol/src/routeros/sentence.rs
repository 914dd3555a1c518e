//! Sentences: a list of words ended by a zero-length word.

use super::length::encode_length;
use super::text::display_bytes;
use std::fmt;

/// One sentence as it travels on the wire. Words are raw bytes.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Sentence {
    pub words: Vec<Vec<u8>>,
}

impl Sentence {
    pub fn new(words: Vec<Vec<u8>>) -> Self {
        Sentence { words }
    }

    /// Builds a sentence from words given as anything byte-like.
    pub fn from_words<I, W>(words: I) -> Self
    where
        I: IntoIterator<Item = W>,
        W: AsRef<[u8]>,
    {
        Sentence {
            words: words.into_iter().map(|w| w.as_ref().to_vec()).collect(),
        }
    }

    /// Appends the wire form of this sentence, terminator included, to `out`.
    ///
    /// Empty words inside a sentence cannot be represented (they would end it), so they are
    /// skipped: an attribute with an empty value is `=name=`, never an empty word.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        for word in self.words.iter().filter(|w| !w.is_empty()) {
            let len = u32::try_from(word.len()).expect("a word is smaller than 4 GiB");
            encode_length(len, out);
            out.extend_from_slice(word);
        }
        out.push(0);
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// Bytes the encoded sentence takes.
    pub fn encoded_len(&self) -> usize {
        self.words
            .iter()
            .filter(|w| !w.is_empty())
            .map(|w| prefix_size(w.len()) + w.len())
            .sum::<usize>()
            + 1
    }

    pub fn first(&self) -> Option<&[u8]> {
        self.words.first().map(Vec::as_slice)
    }
}

fn prefix_size(len: usize) -> usize {
    match len {
        0..=0x7F => 1,
        0x80..=0x3FFF => 2,
        0x4000..=0x1F_FFFF => 3,
        0x20_0000..=0x0FFF_FFFF => 4,
        _ => 5,
    }
}

/// Shows the sentence one word per space, non-UTF-8 bytes escaped.
impl fmt::Debug for Sentence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, w) in self.words.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&display_bytes(w))?;
        }
        Ok(())
    }
}

impl fmt::Display for Sentence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    /// Byte examples from `reference/routeros-api.md` §1.2, produced by librouteros 4.2.2.
    #[test]
    fn published_sentences_encode_byte_for_byte() {
        let cases: &[(&[&[u8]], &str)] = &[
            (
                &[b"/login", b"=name=admin", b"=password="],
                "06 2f 6c 6f 67 69 6e 0b 3d 6e 61 6d 65 3d 61 64 6d 69 6e 0a 3d 70 61 73 73 77 6f 72 64 3d 00",
            ),
            (
                &[b"/ppp/secret/print", b"=.proplist=.id,name,disabled", b"?name=alice", b".tag=7"],
                "11 2f 70 70 70 2f 73 65 63 72 65 74 2f 70 72 69 6e 74 1c 3d 2e 70 72 6f 70 6c 69 73 74 3d 2e 69 64 2c \
                 6e 61 6d 65 2c 64 69 73 61 62 6c 65 64 0b 3f 6e 61 6d 65 3d 61 6c 69 63 65 06 2e 74 61 67 3d 37 00",
            ),
            (&[b"!re", b"=.id=*1", b"=name=alice"], "03 21 72 65 07 3d 2e 69 64 3d 2a 31 0b 3d 6e 61 6d 65 3d 61 6c 69 63 65 00"),
            (&[b"!done", b"=ret=*1A"], "05 21 64 6f 6e 65 08 3d 72 65 74 3d 2a 31 41 00"),
            (
                &[b"!trap", b"=message=no such item"],
                "05 21 74 72 61 70 15 3d 6d 65 73 73 61 67 65 3d 6e 6f 20 73 75 63 68 20 69 74 65 6d 00",
            ),
            (&[b"!empty", b".tag=5"], "06 21 65 6d 70 74 79 06 2e 74 61 67 3d 35 00"),
            (&[b"!fatal", b"not logged in"], "06 21 66 61 74 61 6c 0d 6e 6f 74 20 6c 6f 67 67 65 64 20 69 6e 00"),
            (&[b"=comment=caf\xe9"], "0d 3d 63 6f 6d 6d 65 6e 74 3d 63 61 66 e9 00"),
            (&["=comment=café".as_bytes()], "0e 3d 63 6f 6d 6d 65 6e 74 3d 63 61 66 c3 a9 00"),
        ];
        for (words, bytes) in cases {
            let s = Sentence::from_words(words.iter());
            assert_eq!(s.encode(), hex(bytes), "{s:?}");
            assert_eq!(s.encoded_len(), hex(bytes).len());
        }
    }
}
