//! Signed messages. Wire format, a JSON object:
//!
//! ```text
//! {"m": "<the envelope as a JSON string>", "s": "<hex of the Ed25519 signature over m's UTF-8 bytes>"}
//! ```
//!
//! The signature covers the exact bytes of `m`, so no JSON canonicalisation is needed; the
//! receiver verifies before it parses `m`. Other top-level fields are ignored (they are unsigned).
//!
//! Replays are bounded by the messages themselves rather than here: uplinks by `(boot_id, seq)`
//! and `boot_seq`, commands by id and `expires_at_ms`, desired notices by their version, acks by
//! `up_to_seq` only ever moving forward; and the agent id inside the signature stops a message for
//! one agent from being replayed onto another's topic.

use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{AgentId, DownEnvelope, Envelope, FleetError, MAX_MESSAGE_BYTES, PROTOCOL_VERSION};

const PUBLIC_KEY_BYTES: usize = 32;
const SIGNATURE_BYTES: usize = 64;

#[derive(Serialize)]
struct SealedOut<'a> {
    m: &'a str,
    s: String,
}

#[derive(Deserialize)]
struct SealedIn {
    m: String,
    s: String,
}

/// Reads `v` alone, so a future version with a different shape is reported as unsupported rather
/// than malformed.
#[derive(Deserialize)]
struct VersionProbe {
    v: u32,
}

/// Signs an uplink with the agent's key.
pub fn seal_up(envelope: &Envelope, agent_key: &Ed25519KeyPair) -> Vec<u8> {
    seal(envelope, agent_key)
}

/// Signs a downlink with the controller's key.
pub fn seal_down(envelope: &DownEnvelope, controller_key: &Ed25519KeyPair) -> Vec<u8> {
    seal(envelope, controller_key)
}

/// Verifies and parses an uplink that arrived on a topic of `topic_agent`, whose registered
/// public key (32 bytes) is `public_key`. Checks, in order: size, outer JSON, signature,
/// envelope JSON, version, and that the envelope names `topic_agent`.
pub fn open_up(
    wire: &[u8],
    topic_agent: &AgentId,
    public_key: &[u8],
) -> Result<Envelope, FleetError> {
    let envelope: Envelope = open(wire, public_key)?;
    check_agent(topic_agent, &envelope.agent_id)?;
    Ok(envelope)
}

/// Verifies and parses a downlink for `expected_agent` (this agent) signed by the controller.
/// Same checks as [`open_up`].
pub fn open_down(
    wire: &[u8],
    expected_agent: &AgentId,
    controller_public_key: &[u8],
) -> Result<DownEnvelope, FleetError> {
    let envelope: DownEnvelope = open(wire, controller_public_key)?;
    check_agent(expected_agent, &envelope.agent_id)?;
    Ok(envelope)
}

/// A new Ed25519 key pair as a PKCS#8 v2 document (secret: store it like a password).
///
/// # Panics
/// If the operating system's random number generator fails; no key can be made safely then.
pub fn generate_keypair_pkcs8() -> Vec<u8> {
    Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .expect("the system random number generator failed")
        .as_ref()
        .to_vec()
}

/// Loads a key pair written by [`generate_keypair_pkcs8`].
pub fn keypair_from_pkcs8(pkcs8: &[u8]) -> Result<Ed25519KeyPair, FleetError> {
    Ed25519KeyPair::from_pkcs8(pkcs8)
        .map_err(|_| FleetError::BadKey("not an Ed25519 PKCS#8 v2 document"))
}

/// The public half, as 64 lowercase hex characters (what the other side registers).
pub fn public_key_hex(key: &Ed25519KeyPair) -> String {
    crate::encoding::hex(key.public_key().as_ref())
}

/// Parses a public key written by [`public_key_hex`] (surrounding whitespace ignored).
pub fn parse_public_key_hex(text: &str) -> Result<Vec<u8>, FleetError> {
    let key =
        crate::encoding::unhex(text.trim()).ok_or(FleetError::BadKey("public key is not hex"))?;
    if key.len() != PUBLIC_KEY_BYTES {
        return Err(FleetError::BadKey(
            "an Ed25519 public key is 32 bytes (64 hex characters)",
        ));
    }
    Ok(key)
}

/// A fresh `boot_id`: 16 random bytes as 32 lowercase hex characters.
///
/// # Panics
/// If the operating system's random number generator fails.
pub fn new_boot_id() -> String {
    let bytes: [u8; 16] = ring::rand::generate(&SystemRandom::new())
        .expect("the system random number generator failed")
        .expose();
    crate::encoding::hex(&bytes)
}

fn seal<T: Serialize>(message: &T, key: &Ed25519KeyPair) -> Vec<u8> {
    // These types have only string map keys and derived impls, so serializing cannot fail.
    let m = serde_json::to_string(message).expect("envelopes always serialize");
    let s = crate::encoding::hex(key.sign(m.as_bytes()).as_ref());
    serde_json::to_vec(&SealedOut { m: &m, s }).expect("strings always serialize")
}

fn open<T: DeserializeOwned>(wire: &[u8], public_key: &[u8]) -> Result<T, FleetError> {
    if wire.len() > MAX_MESSAGE_BYTES {
        return Err(FleetError::TooLarge {
            size: wire.len(),
            limit: MAX_MESSAGE_BYTES,
        });
    }
    if public_key.len() != PUBLIC_KEY_BYTES {
        return Err(FleetError::BadKey("an Ed25519 public key is 32 bytes"));
    }
    let sealed: SealedIn = serde_json::from_slice(wire)
        .map_err(|e| FleetError::Malformed(format!("not a signed message: {e}")))?;
    verify(sealed.m.as_bytes(), &sealed.s, public_key)?;
    let probe: VersionProbe = serde_json::from_str(&sealed.m)
        .map_err(|e| FleetError::Malformed(format!("envelope: {e}")))?;
    if probe.v != PROTOCOL_VERSION {
        return Err(FleetError::UnsupportedVersion { found: probe.v });
    }
    serde_json::from_str(&sealed.m).map_err(|e| FleetError::Malformed(format!("envelope: {e}")))
}

fn verify(message: &[u8], signature_hex: &str, public_key: &[u8]) -> Result<(), FleetError> {
    let signature = crate::encoding::unhex(signature_hex)
        .filter(|bytes| bytes.len() == SIGNATURE_BYTES)
        .ok_or_else(|| FleetError::Malformed("signature is not 128 hex characters".to_owned()))?;
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(message, &signature)
        .map_err(|_| FleetError::BadSignature)
}

fn check_agent(expected: &AgentId, claimed: &AgentId) -> Result<(), FleetError> {
    if expected == claimed {
        Ok(())
    } else {
        Err(FleetError::WrongAgent {
            expected: expected.clone(),
            claimed: claimed.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::fleet::message::examples::{self, agent, every_down, every_up};
    use crate::fleet::{
        Command, CommandAction, DownBody, InterfaceCounters, Service, SessionChange, SessionEvent,
        Telemetry, UpBody,
    };

    // RFC 8032 section 7.1, TEST 1.
    const RFC_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const RFC_SIGNATURE_OF_EMPTY: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    /// A fixed key (RFC 8032 test 1), so signatures in snapshots are reproducible.
    fn rfc_key() -> Ed25519KeyPair {
        Ed25519KeyPair::from_seed_and_public_key(
            &crate::encoding::unhex(RFC_SECRET).unwrap(),
            &crate::encoding::unhex(RFC_PUBLIC).unwrap(),
        )
        .unwrap()
    }

    fn fresh_key() -> Ed25519KeyPair {
        keypair_from_pkcs8(&generate_keypair_pkcs8()).unwrap()
    }

    fn public(key: &Ed25519KeyPair) -> Vec<u8> {
        key.public_key().as_ref().to_vec()
    }

    /// Signs arbitrary text as `m`, for messages `seal` would never produce.
    fn sign_raw(m: &str, key: &Ed25519KeyPair) -> Vec<u8> {
        let s = crate::encoding::hex(key.sign(m.as_bytes()).as_ref());
        serde_json::to_vec(&SealedOut { m, s }).unwrap()
    }

    fn unwrap_wire(wire: &[u8]) -> SealedIn {
        serde_json::from_slice(wire).unwrap()
    }

    fn code<T: std::fmt::Debug>(result: Result<T, FleetError>) -> &'static str {
        result.unwrap_err().code()
    }

    #[test]
    fn ring_accepts_the_rfc_8032_test_vector_through_our_hex_path() {
        let public_key = parse_public_key_hex(RFC_PUBLIC).unwrap();
        verify(b"", RFC_SIGNATURE_OF_EMPTY, &public_key).unwrap();
        // Signing is deterministic, so our encoder must reproduce the published signature.
        assert_eq!(
            crate::encoding::hex(rfc_key().sign(b"").as_ref()),
            RFC_SIGNATURE_OF_EMPTY
        );
        assert_eq!(public_key_hex(&rfc_key()), RFC_PUBLIC);

        // Through `open_up`: the signature passes, so only the empty envelope is refused.
        let wire = format!(r#"{{"m":"","s":"{RFC_SIGNATURE_OF_EMPTY}"}}"#);
        assert_eq!(
            code(open_up(wire.as_bytes(), &agent(), &public_key)),
            "malformed"
        );
        let flipped = RFC_SIGNATURE_OF_EMPTY.replacen('e', "f", 1);
        let wire = format!(r#"{{"m":"","s":"{flipped}"}}"#);
        assert_eq!(
            code(open_up(wire.as_bytes(), &agent(), &public_key)),
            "bad_signature"
        );
    }

    #[test]
    fn every_kind_round_trips_through_seal_and_open() {
        let (agent_key, controller_key) = (fresh_key(), fresh_key());
        for (name, envelope) in every_up() {
            let wire = seal_up(&envelope, &agent_key);
            let opened = open_up(&wire, &agent(), &public(&agent_key)).unwrap();
            assert_eq!(opened, envelope, "{name}");
        }
        for (name, envelope) in every_down() {
            let wire = seal_down(&envelope, &controller_key);
            let opened = open_down(&wire, &agent(), &public(&controller_key)).unwrap();
            assert_eq!(opened, envelope, "{name}");
        }
    }

    #[test]
    fn the_wire_format_is_frozen() {
        let (_, envelope) = every_down().remove(2);
        let wire = seal_down(&envelope, &rfc_key());
        insta::assert_snapshot!("sealed_down_cmd_kick", String::from_utf8(wire).unwrap());
    }

    #[test]
    fn changing_one_byte_of_m_breaks_the_signature() {
        let key = fresh_key();
        let (_, envelope) = every_up().remove(4);
        let sealed = unwrap_wire(&seal_up(&envelope, &key));
        let tampered = sealed.m.replacen("\"seq\":42", "\"seq\":43", 1);
        assert_ne!(tampered, sealed.m);
        let wire = serde_json::to_vec(&SealedOut {
            m: &tampered,
            s: sealed.s,
        })
        .unwrap();
        assert_eq!(
            code(open_up(&wire, &agent(), &public(&key))),
            "bad_signature"
        );
    }

    #[test]
    fn a_signature_by_another_key_is_refused() {
        let (signer, registered) = (fresh_key(), fresh_key());
        let (_, envelope) = every_up().remove(1);
        let wire = seal_up(&envelope, &signer);
        assert_eq!(
            code(open_up(&wire, &agent(), &public(&registered))),
            "bad_signature"
        );
        let (_, envelope) = every_down().remove(0);
        let wire = seal_down(&envelope, &signer);
        assert_eq!(
            code(open_down(&wire, &agent(), &public(&registered))),
            "bad_signature"
        );
    }

    #[test]
    fn a_validly_signed_message_for_another_agent_is_refused() {
        let uttara = AgentId::parse("pop-uttara-02").unwrap();
        let key = fresh_key();

        // An uplink whose envelope names another agent than its topic.
        let (_, mut envelope) = every_up().remove(4);
        envelope.agent_id = uttara.clone();
        let wire = seal_up(&envelope, &key);
        let err = open_up(&wire, &agent(), &public(&key)).unwrap_err();
        assert_eq!(
            err,
            FleetError::WrongAgent {
                expected: agent(),
                claimed: uttara.clone()
            }
        );
        assert_eq!(err.code(), "wrong_agent");

        // A controller command for Uttara replayed onto Mirpur's topic.
        let (_, mut envelope) = every_down().remove(2);
        envelope.agent_id = uttara;
        let wire = seal_down(&envelope, &key);
        assert_eq!(
            code(open_down(&wire, &agent(), &public(&key))),
            "wrong_agent"
        );
    }

    #[test]
    fn another_version_is_refused_whatever_its_shape() {
        let key = fresh_key();
        let (_, envelope) = every_up().remove(4);
        let mut json: serde_json::Value = serde_json::to_value(&envelope).unwrap();
        json["v"] = 2.into();
        let wire = sign_raw(&json.to_string(), &key);
        assert_eq!(
            open_up(&wire, &agent(), &public(&key)).unwrap_err(),
            FleetError::UnsupportedVersion { found: 2 }
        );
        let wire = sign_raw(r#"{"v":2,"everything":"changed"}"#, &key);
        assert_eq!(
            code(open_down(&wire, &agent(), &public(&key))),
            "unsupported_version"
        );
    }

    #[test]
    fn broken_wires_are_malformed() {
        let key = fresh_key();
        let (_, envelope) = every_up().remove(3);
        let wire = seal_up(&envelope, &key);
        let malformed = |wire: &[u8]| code(open_up(wire, &agent(), &public(&key)));

        assert_eq!(malformed(&wire[..wire.len() - 1]), "malformed");
        assert_eq!(malformed(&wire[..wire.len() / 2]), "malformed");
        assert_eq!(malformed(b""), "malformed");
        assert_eq!(malformed(b"[1,2]"), "malformed");
        assert_eq!(malformed(br#"{"m":"{}"}"#), "malformed");

        // Signatures that are not 64 bytes of hex.
        let sealed = unwrap_wire(&wire);
        for s in [
            String::new(),
            "zz".repeat(64),
            sealed.s[..126].to_owned(),
            format!("{}00", sealed.s),
        ] {
            let wire = serde_json::to_vec(&SealedOut { m: &sealed.m, s }).unwrap();
            assert_eq!(malformed(&wire), "malformed");
        }

        // Validly signed but not a valid envelope.
        let mut json = serde_json::to_value(&envelope).unwrap();
        json["body"]["kind"] = "firmware".into();
        assert_eq!(malformed(&sign_raw(&json.to_string(), &key)), "malformed");
        let mut json = serde_json::to_value(&envelope).unwrap();
        json["agent_id"] = "a/+".into();
        assert_eq!(malformed(&sign_raw(&json.to_string(), &key)), "malformed");
        let mut json = serde_json::to_value(&envelope).unwrap();
        json["body"]["data"]["cpu_load_pct"] = 300.into();
        assert_eq!(malformed(&sign_raw(&json.to_string(), &key)), "malformed");
    }

    #[test]
    fn oversized_wires_are_refused_before_parsing() {
        let key = fresh_key();
        // Not even JSON: only the size check can produce `too_large`.
        let wire = vec![b'x'; MAX_MESSAGE_BYTES + 1];
        assert_eq!(
            open_up(&wire, &agent(), &public(&key)).unwrap_err(),
            FleetError::TooLarge {
                size: MAX_MESSAGE_BYTES + 1,
                limit: MAX_MESSAGE_BYTES
            }
        );
        assert_eq!(code(open_down(&wire, &agent(), &public(&key))), "too_large");
    }

    #[test]
    fn keys_are_checked_and_never_echoed() {
        let key = fresh_key();
        let hex = public_key_hex(&key);
        assert_eq!(hex.len(), 64);
        assert_eq!(
            parse_public_key_hex(&format!(" {hex}\n")).unwrap(),
            public(&key)
        );
        assert_eq!(
            parse_public_key_hex(&hex.to_uppercase()).unwrap(),
            public(&key)
        );
        for bad in ["", "xyz", &hex[..62], &format!("{hex}00")] {
            assert_eq!(code(parse_public_key_hex(bad)), "bad_key", "{bad:?}");
        }

        let pkcs8 = generate_keypair_pkcs8();
        let mut broken = pkcs8.clone();
        broken.truncate(pkcs8.len() - 1);
        let err = keypair_from_pkcs8(&broken).unwrap_err();
        assert_eq!(err.code(), "bad_key");
        assert!(!err
            .to_string()
            .contains(&crate::encoding::hex(&broken[16..48])));

        let (_, envelope) = every_up().remove(0);
        let wire = seal_up(&envelope, &key);
        assert_eq!(code(open_up(&wire, &agent(), &[0; 31])), "bad_key");
    }

    #[test]
    fn boot_ids_are_32_random_hex_characters() {
        let (a, b) = (new_boot_id(), new_boot_id());
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_ne!(a, b);
    }

    #[test]
    fn command_expiry_survives_sealing() {
        let key = fresh_key();
        let (_, envelope) = every_down().remove(1);
        let opened = open_down(&seal_down(&envelope, &key), &agent(), &public(&key)).unwrap();
        let DownBody::Command(Command {
            action: CommandAction::Resync,
            expires_at_ms,
            ..
        }) = opened.body
        else {
            panic!("{opened:?}")
        };
        assert_eq!(expires_at_ms, 1_767_225_900_500);
    }

    fn any_session_event() -> impl Strategy<Value = SessionEvent> {
        let who = (".*", ".*", ".*", ".*");
        let when = (
            any::<i64>(),
            any::<Option<u64>>(),
            any::<Option<u64>>(),
            any::<Option<u64>>(),
        );
        (any::<bool>(), any::<bool>(), who, when).prop_map(
            |(up, pppoe, (user, address, caller_id, router_session_id), when)| SessionEvent {
                change: if up {
                    SessionChange::Up
                } else {
                    SessionChange::Down
                },
                service: if pppoe {
                    Service::Pppoe
                } else {
                    Service::Hotspot
                },
                user,
                address,
                caller_id,
                router_session_id,
                at_ms: when.0,
                uptime_secs: when.1,
                bytes_in: when.2,
                bytes_out: when.3,
            },
        )
    }

    fn any_telemetry() -> impl Strategy<Value = Telemetry> {
        let interface = (".*", any::<u64>(), any::<u64>(), any::<bool>()).prop_map(
            |(name, rx_bytes, tx_bytes, running)| InterfaceCounters {
                name,
                rx_bytes,
                tx_bytes,
                running,
            },
        );
        (
            any::<[u8; 1]>(),
            any::<[u64; 3]>(),
            any::<[u32; 2]>(),
            prop::collection::vec(interface, 0..8),
        )
            .prop_map(
                |([cpu], [free, total, uptime], [pppoe, hotspot], interfaces)| Telemetry {
                    cpu_load_pct: cpu,
                    free_memory_bytes: free,
                    total_memory_bytes: total,
                    uptime_secs: uptime,
                    pppoe_active: pppoe,
                    hotspot_active: hotspot,
                    interfaces,
                },
            )
    }

    proptest! {
        #[test]
        fn arbitrary_events_and_telemetry_survive_seal_and_open(
            event in any_session_event(),
            telemetry in any_telemetry(),
            seq in any::<u64>(),
            sent_at_ms in any::<i64>(),
        ) {
            let key = rfc_key();
            for body in [UpBody::Event(event.clone()), UpBody::Telemetry(telemetry.clone())] {
                let envelope = Envelope { seq, sent_at_ms, ..examples::up(body) };
                let wire = seal_up(&envelope, &key);
                prop_assert!(wire.len() <= MAX_MESSAGE_BYTES);
                let opened = open_up(&wire, &agent(), &public(&key)).unwrap();
                prop_assert_eq!(opened, envelope);
            }
        }
    }
}
