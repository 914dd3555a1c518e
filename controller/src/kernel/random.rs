//! Randomness from the operating system (ring), for tokens and salts.

use ring::rand::{SecureRandom, SystemRandom};

pub fn fill(bytes: &mut [u8]) {
    SystemRandom::new()
        .fill(bytes)
        .expect("the operating system's random source works");
}

/// 32 random bytes as 64 hex characters: session ids, CSRF tokens.
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    fill(&mut bytes);
    protocol::encoding::hex(&bytes)
}

/// SHA-256 of `text`, hex: what the database keeps instead of a session token.
pub fn sha256_hex(text: &str) -> String {
    protocol::encoding::hex(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
}

/// HMAC-SHA256 of `message` under `key`, hex: binds a value the client holds to one only the
/// server can make.
pub fn hmac_hex(key: &[u8], message: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    protocol::encoding::hex(ring::hmac::sign(&key, message.as_bytes()).as_ref())
}

/// Compares secrets without an early exit, so timing does not reveal how much matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_correctly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert_eq!(token().len(), 64);
        assert_ne!(token(), token());
    }
}
