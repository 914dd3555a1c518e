//! The pre-6.43 challenge login.
//!
//! The router answers a bare `/login` with `!done =ret=<32 hex>`; the client sends
//! `=response=00` + hex(md5(0x00 ‖ password ‖ challenge)).

use md5::{Digest, Md5};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("login challenge is not hexadecimal")]
pub struct BadChallenge;

/// The `=response=` value for `password` and the router's `=ret=` challenge.
pub fn challenge_response(password: &[u8], challenge_hex: &[u8]) -> Result<String, BadChallenge> {
    let challenge = decode_hex(challenge_hex).ok_or(BadChallenge)?;
    let mut md5 = Md5::new();
    md5.update([0u8]);
    md5.update(password);
    md5.update(&challenge);
    let mut out = String::from("00");
    for b in md5.finalize() {
        out.push_str(&format!("{b:02x}"));
    }
    Ok(out)
}

fn decode_hex(hex: &[u8]) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from `reference/routeros-api.md` §1.7 (MikroTik manual, go-routeros tests).
    #[test]
    fn published_vectors() {
        assert_eq!(
            challenge_response(b"", b"93b438ec9b80057c06dd9fe67d56aa9a").unwrap(),
            "00e134102a9d330dd7b1849fedfea3cb57"
        );
        assert_eq!(
            challenge_response(b"", b"856780b7411eefd3abadee2058c149a3").unwrap(),
            "005062f7a5ef124d34675bf3e81f56c556"
        );
        assert_eq!(
            challenge_response(b"passTest", b"abc123").unwrap(),
            "0021277bff9ac7caf06aa608e46616d47f"
        );
        assert_eq!(challenge_response(b"x", b"abc"), Err(BadChallenge));
    }
}
