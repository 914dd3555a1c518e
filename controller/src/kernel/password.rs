//! Password hashing: argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane), PHC
//! strings so parameters can be raised later without breaking stored hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    super::random::fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16-byte salt encodes");
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id hashing cannot fail with valid parameters")
        .to_string()
}

/// Checks `password` against a stored PHC string; a malformed hash never verifies.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of a random password: compared against when the user does not exist, so a login for
/// an unknown name takes as long as one with a wrong password.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&super::random::token()))
}

/// Mosquitto's password-file hash (`$7$`: PBKDF2-HMAC-SHA512, 101 iterations, 12-byte salt,
/// 64-byte key, base64), for MQTT logins the controller hands to an external Mosquitto. The
/// passwords are random 256-bit tokens, so the low iteration count Mosquitto uses is enough.
pub fn mosquitto_hash(password: &str) -> String {
    let mut salt = [0u8; 12];
    super::random::fill(&mut salt);
    mosquitto_hash_with_salt(password, &salt)
}

fn mosquitto_hash_with_salt(password: &str, salt: &[u8]) -> String {
    const ITERATIONS: u32 = 101;
    let mut key = [0u8; 64];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA512,
        std::num::NonZeroU32::new(ITERATIONS).expect("non-zero"),
        salt,
        password.as_bytes(),
        &mut key,
    );
    format!(
        "$7${ITERATIONS}${}${}",
        protocol::encoding::base64(salt),
        protocol::encoding::base64(&key)
    )
}

/// Minimum rules for staff passwords (ASVS: length over composition).
pub fn check_strength(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < 10 {
        return Err("password.too_short");
    }
    if password.len() > 256 {
        return Err("password.too_long");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line `mosquitto_passwd -b pw alice secret1` wrote on Debian 12 (Mosquitto 2.0.11).
    #[test]
    fn mosquitto_hash_matches_mosquitto_passwd() {
        let salt = [
            0x01, 0xf8, 0x54, 0xd6, 0x78, 0x56, 0xe1, 0x2c, 0x46, 0x2b, 0xcd, 0xcd,
        ];
        assert_eq!(
            mosquitto_hash_with_salt("secret1", &salt),
            "$7$101$AfhU1nhW4SxGK83N$9a95cIq3lWTbmNmHHjlykK1ZHi7CPk5En0OjcVTAr4oloR9olLz7qxkputgKGb4FFQhYy9TNAwhvluTmM9cL8g=="
        );
        assert!(mosquitto_hash("x").starts_with("$7$101$"));
    }

    #[test]
    fn argon2id_with_owasp_parameters_round_trips() {
        let h = hash("correct horse battery");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterx", &h));
        assert!(!verify("anything", "not a hash"));
        assert_ne!(hash("same"), hash("same"), "salted");
    }
}
