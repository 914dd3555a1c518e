//! `open_down` on whatever reaches an agent on its downlink topics, as `fleet_open_up` does for
//! uplinks: arbitrary payloads, sealed envelopes with bytes flipped, and mutated envelope text
//! that is then validly signed.
//!
//! Invariants: no panic; an accepted message names this agent, has version 1, seals and opens
//! again to the same envelope (an unknown command action stays `Unsupported`), and survives a
//! JSON round trip; an untouched seal of a known envelope opens to exactly it (or the error its
//! fields call for), and with bytes flipped it is refused or still exactly that envelope.
#![no_main]

mod common;

use common::{fixture, mutate, sign_raw};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use protocol::fleet::{
    open_down, seal_down, Ack, Command, CommandAction, DesiredNotice, DownBody, DownEnvelope,
    FleetError, Service, MAX_MESSAGE_BYTES, PROTOCOL_VERSION,
};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut u = Unstructured::new(rest);
    match mode % 4 {
        0 => check(rest, None),
        1 => {
            let Ok(envelope) = envelope(&mut u) else {
                return;
            };
            let mut wire = seal_down(&envelope, &fixture().key);
            let Ok(edits) = mutate(&mut u, &mut wire) else {
                return;
            };
            check(&wire, Some((&envelope, edits == 0)));
        }
        2 => {
            let Ok(envelope) = envelope(&mut u) else {
                return;
            };
            let mut m = serde_json::to_vec(&envelope).unwrap();
            if mutate(&mut u, &mut m).is_err() {
                return;
            }
            check(&sign_raw(&String::from_utf8_lossy(&m)), None);
        }
        _ => check(&sign_raw(&String::from_utf8_lossy(rest)), None),
    }
});

fn check(wire: &[u8], sealed_from: Option<(&DownEnvelope, bool)>) {
    let f = fixture();
    let result = open_down(wire, &f.agent, &f.public_key);
    match &result {
        Ok(opened) => {
            assert_eq!(opened.agent_id, f.agent);
            assert_eq!(opened.v, PROTOCOL_VERSION);
            let again = open_down(&seal_down(opened, &f.key), &f.agent, &f.public_key);
            assert_eq!(
                again.as_ref(),
                Ok(opened),
                "re-sealing changed the envelope"
            );
            let json = serde_json::to_string(opened).unwrap();
            assert_eq!(
                &serde_json::from_str::<DownEnvelope>(&json).unwrap(),
                opened
            );
            if let DownBody::Command(command) = &opened.body {
                let _ = command.is_expired(i64::MIN);
            }
        }
        Err(e) => {
            let _ = (e.to_string(), e.code());
        }
    }
    if let Some((original, untouched)) = sealed_from {
        if untouched {
            assert_eq!(result, expected(original, wire.len()));
        } else if let Ok(opened) = &result {
            assert_eq!(
                opened, original,
                "a changed message was accepted as another one"
            );
        }
    }
}

fn expected(
    envelope: &DownEnvelope,
    wire_len: usize,
) -> std::result::Result<DownEnvelope, FleetError> {
    let f = fixture();
    if wire_len > MAX_MESSAGE_BYTES {
        Err(FleetError::TooLarge {
            size: wire_len,
            limit: MAX_MESSAGE_BYTES,
        })
    } else if envelope.v != PROTOCOL_VERSION {
        Err(FleetError::UnsupportedVersion { found: envelope.v })
    } else if envelope.agent_id != f.agent {
        Err(FleetError::WrongAgent {
            expected: f.agent.clone(),
            claimed: envelope.agent_id.clone(),
        })
    } else {
        Ok(envelope.clone())
    }
}

fn envelope(u: &mut Unstructured) -> Result<DownEnvelope> {
    let f = fixture();
    Ok(DownEnvelope {
        v: if u.ratio(1, 8)? {
            u.arbitrary()?
        } else {
            PROTOCOL_VERSION
        },
        agent_id: if u.ratio(1, 8)? {
            f.other_agent.clone()
        } else {
            f.agent.clone()
        },
        issued_at_ms: u.arbitrary()?,
        body: body(u)?,
    })
}

fn body(u: &mut Unstructured) -> Result<DownBody> {
    Ok(match u.int_in_range(0..=2)? {
        0 => DownBody::Desired(DesiredNotice {
            version: u.arbitrary()?,
            bytes: u.arbitrary()?,
            sha256: u.arbitrary()?,
        }),
        1 => {
            let action = match u.int_in_range(0..=4)? {
                0 => CommandAction::Resync,
                1 => CommandAction::Kick {
                    service: *u.choose(&[Service::Pppoe, Service::Hotspot])?,
                    user: u.arbitrary()?,
                },
                2 => CommandAction::Diagnostics,
                3 => CommandAction::Rebirth,
                _ => CommandAction::Unsupported,
            };
            DownBody::Command(Command {
                id: u.arbitrary()?,
                action,
                issued_at_ms: u.arbitrary()?,
                expires_at_ms: u.arbitrary()?,
            })
        }
        _ => DownBody::Ack(Ack {
            boot_id: u.arbitrary()?,
            up_to_seq: u.arbitrary()?,
            seq: u.arbitrary()?,
            server_time_ms: u.arbitrary()?,
        }),
    })
}
