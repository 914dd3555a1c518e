//! Showing byte words to people without losing bytes.

use std::borrow::Cow;
use std::fmt::Write;

/// Valid UTF-8 is shown as is; every byte that is not part of valid UTF-8 is shown as `\xNN`,
/// and a literal backslash as `\\`, so the original bytes can always be recovered.
pub fn display_bytes(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.contains('\\') => Cow::Borrowed(s),
        _ => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                for c in chunk.valid().chars() {
                    if c == '\\' {
                        out.push_str("\\\\");
                    } else {
                        out.push(c);
                    }
                }
                for b in chunk.invalid() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Inverse of [`display_bytes`].
pub fn parse_display(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b != b'\\' {
            out.push(b);
            rest = tail;
            continue;
        }
        match tail {
            [b'\\', t @ ..] => {
                out.push(b'\\');
                rest = t;
            }
            [b'x', h, l, t @ ..] => {
                let hex = std::str::from_utf8(&[*h, *l]).ok()?.to_owned();
                out.push(u8::from_str_radix(&hex, 16).ok()?);
                rest = t;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Decodes bytes as Windows-1252-ish Latin-1 when they are not UTF-8. Used where a `String` is
/// unavoidable (names compared with the desired state); the mapping is total and never fails.
pub fn lossy_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_are_escaped_and_recoverable() {
        let cp1252 = b"caf\xe9 \\ ok";
        let shown = display_bytes(cp1252);
        assert_eq!(shown, "caf\\xe9 \\\\ ok");
        assert_eq!(parse_display(&shown).unwrap(), cp1252);
        assert_eq!(display_bytes("café".as_bytes()), "café");
        assert_eq!(lossy_text(b"caf\xe9"), "café");
    }

    proptest::proptest! {
        #[test]
        fn display_round_trips(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let shown = display_bytes(&bytes);
            proptest::prop_assert_eq!(parse_display(&shown), Some(bytes));
        }
    }
}
