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
    hex(&bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `text`, hex: what the database keeps instead of a session token.
pub fn sha256_hex(text: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
}
