//! What the two fleet targets share: fixed keys and agent id, signing arbitrary text the way
//! `seal` does, and small byte mutations driven by the fuzzer's input.

#![allow(dead_code)] // each target uses its own half

use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use protocol::fleet::AgentId;
use ring::signature::{Ed25519KeyPair, KeyPair};

/// The key pair of RFC 8032 section 7.1, test 1, so crashes reproduce byte for byte.
const SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];
const PUBLIC: [u8; 32] = [
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
];

pub struct Fixture {
    pub key: Ed25519KeyPair,
    pub public_key: Vec<u8>,
    /// The agent the topic names.
    pub agent: AgentId,
    /// Another, validly named agent.
    pub other_agent: AgentId,
}

pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let key = Ed25519KeyPair::from_seed_and_public_key(&SEED, &PUBLIC)
            .expect("the RFC 8032 test key");
        Fixture {
            public_key: key.public_key().as_ref().to_vec(),
            key,
            agent: AgentId::parse("pop-mirpur-01").unwrap(),
            other_agent: AgentId::parse("pop-uttara-02").unwrap(),
        }
    })
}

/// Signs `m` as the envelope text of a sealed message, exactly as `seal_up`/`seal_down` frame it,
/// so whatever `m` holds gets past the signature check to the envelope parser.
pub fn sign_raw(m: &str) -> Vec<u8> {
    let s = protocol::encoding::hex(fixture().key.sign(m.as_bytes()).as_ref());
    serde_json::to_vec(&serde_json::json!({ "m": m, "s": s })).expect("strings serialize")
}

/// Up to four edits (replace, insert or delete a byte) at input-chosen places; returns how many.
pub fn mutate(u: &mut Unstructured, bytes: &mut Vec<u8>) -> Result<usize> {
    let edits = u.int_in_range(0..=4)?;
    for _ in 0..edits {
        let at = if bytes.is_empty() {
            0
        } else {
            u.choose_index(bytes.len())?
        };
        match u.int_in_range(0..=2)? {
            0 if !bytes.is_empty() => bytes[at] ^= u.int_in_range(1..=255)?,
            1 => bytes.insert(at, u.arbitrary()?),
            _ if !bytes.is_empty() => {
                bytes.remove(at);
            }
            _ => bytes.push(u.arbitrary()?),
        }
    }
    Ok(edits)
}

/// A short arbitrary list of arbitrary strings.
pub fn strings(u: &mut Unstructured) -> Result<Vec<String>> {
    let n = u.int_in_range(0..=3)?;
    (0..n).map(|_| u.arbitrary()).collect()
}
