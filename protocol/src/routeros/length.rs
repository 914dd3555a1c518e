//! Word length prefixes.
//!
//! | length                      | bytes | form            |
//! |-----------------------------|-------|-----------------|
//! | `0..=0x7F`                  | 1     | `len`           |
//! | `0x80..=0x3FFF`             | 2     | `len │ 0x8000`  |
//! | `0x4000..=0x1F_FFFF`        | 3     | `len │ 0xC00000`|
//! | `0x20_0000..=0xFFF_FFFF`    | 4     | `len │ 0xE0000000` |
//! | `0x1000_0000..=u32::MAX`    | 5     | `0xF0` + `len` as u32 |
//!
//! A first byte `0xF8..=0xFF` is a reserved control byte. `0xF1..=0xF7` would mean lengths beyond
//! 32 bits, which RouterOS documents as unsupported; clients disagree on them, so we reject them.

/// The largest prefix is five bytes.
pub const MAX_PREFIX_LEN: usize = 5;

/// Why a length prefix could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LengthError {
    #[error("reserved control byte {0:#04x} in a length prefix")]
    ControlByte(u8),
    #[error("length prefix {0:#04x} announces a length beyond 32 bits")]
    TooLarge(u8),
}

/// Appends the encoded form of `len` to `out`.
pub fn encode_length(len: u32, out: &mut Vec<u8>) {
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0x3FFF => out.extend_from_slice(&((len | 0x8000) as u16).to_be_bytes()),
        0x4000..=0x1F_FFFF => out.extend_from_slice(&(len | 0xC0_0000).to_be_bytes()[1..]),
        0x20_0000..=0x0FFF_FFFF => out.extend_from_slice(&(len | 0xE000_0000).to_be_bytes()),
        _ => {
            out.push(0xF0);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
}

/// Number of bytes the prefix starting with `first` occupies.
pub fn prefix_len(first: u8) -> Result<usize, LengthError> {
    match first {
        0x00..=0x7F => Ok(1),
        0x80..=0xBF => Ok(2),
        0xC0..=0xDF => Ok(3),
        0xE0..=0xEF => Ok(4),
        0xF0 => Ok(5),
        0xF1..=0xF7 => Err(LengthError::TooLarge(first)),
        0xF8..=0xFF => Err(LengthError::ControlByte(first)),
    }
}

/// Decodes a length prefix from the start of `bytes`.
///
/// Returns `Ok(None)` when more bytes are needed, or the length and the prefix size.
pub fn decode_length(bytes: &[u8]) -> Result<Option<(u32, usize)>, LengthError> {
    let Some(&first) = bytes.first() else {
        return Ok(None);
    };
    let n = prefix_len(first)?;
    if bytes.len() < n {
        return Ok(None);
    }
    let b = &bytes[..n];
    let len = match n {
        1 => u32::from(b[0]),
        2 => u32::from(u16::from_be_bytes([b[0], b[1]]) & 0x3FFF),
        3 => u32::from_be_bytes([0, b[0], b[1], b[2]]) & 0x1F_FFFF,
        4 => u32::from_be_bytes([b[0], b[1], b[2], b[3]]) & 0x0FFF_FFFF,
        _ => u32::from_be_bytes([b[1], b[2], b[3], b[4]]),
    };
    Ok(Some((len, n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(len: u32) -> Vec<u8> {
        let mut v = Vec::new();
        encode_length(len, &mut v);
        v
    }

    /// Vectors from `reference/routeros-api.md` §1.2 (MikroTik manual and client test suites).
    const VECTORS: &[(u32, &[u8])] = &[
        (0x00, &[0x00]),
        (0x01, &[0x01]),
        (0x7F, &[0x7F]),
        (0x80, &[0x80, 0x80]),
        (0x87, &[0x80, 0x87]),
        (130, &[0x80, 0x82]),
        (0x100, &[0x81, 0x00]),
        (0x1C42, &[0x9C, 0x42]),
        (0x3FFF, &[0xBF, 0xFF]),
        (0x4000, &[0xC0, 0x40, 0x00]),
        (0x4321, &[0xC0, 0x43, 0x21]),
        (0xAD73B, &[0xCA, 0xD7, 0x3B]),
        (2_097_140, &[0xDF, 0xFF, 0xF4]),
        (0x1F_FFFF, &[0xDF, 0xFF, 0xFF]),
        (0x20_0000, &[0xE0, 0x20, 0x00, 0x00]),
        (0x2A_CDEF, &[0xE0, 0x2A, 0xCD, 0xEF]),
        (0x5AD_736B, &[0xE5, 0xAD, 0x73, 0x6B]),
        (268_435_440, &[0xEF, 0xFF, 0xFF, 0xF0]),
        (0x0FFF_FFFF, &[0xEF, 0xFF, 0xFF, 0xFF]),
        (0x1000_0000, &[0xF0, 0x10, 0x00, 0x00, 0x00]),
        (0x1000_0080, &[0xF0, 0x10, 0x00, 0x00, 0x80]),
    ];

    #[test]
    fn published_vectors_encode_and_decode() {
        for &(len, bytes) in VECTORS {
            assert_eq!(enc(len), bytes, "encoding {len:#x}");
            assert_eq!(
                decode_length(bytes),
                Ok(Some((len, bytes.len()))),
                "decoding {bytes:02x?}"
            );
        }
    }

    #[test]
    fn short_prefixes_ask_for_more() {
        for &(_, bytes) in VECTORS {
            for cut in 0..bytes.len() {
                assert_eq!(decode_length(&bytes[..cut]), Ok(None));
            }
        }
    }

    #[test]
    fn control_and_oversize_first_bytes_are_rejected() {
        for b in 0xF1..=0xF7u8 {
            assert_eq!(
                decode_length(&[b, 0, 0, 0, 0]),
                Err(LengthError::TooLarge(b))
            );
        }
        for b in 0xF8..=0xFFu8 {
            assert_eq!(decode_length(&[b]), Err(LengthError::ControlByte(b)));
        }
    }

    proptest::proptest! {
        #[test]
        fn any_length_round_trips(len in proptest::prelude::any::<u32>()) {
            let bytes = enc(len);
            proptest::prop_assert_eq!(decode_length(&bytes), Ok(Some((len, bytes.len()))));
        }
    }
}
