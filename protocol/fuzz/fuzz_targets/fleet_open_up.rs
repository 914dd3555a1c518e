//! `open_up` on whatever reaches the controller's broker: arbitrary payloads, sealed envelopes
//! with bytes flipped, and envelope text that is mutated and then *validly signed*, so the
//! fuzzer gets past the signature to the envelope parser.
//!
//! Invariants: no panic; a message `open_up` accepts names the topic's agent, has version 1,
//! seals and opens again to the same envelope, and survives a JSON round trip; a message sealed
//! from a known envelope opens to exactly that envelope (or the error its fields call for), and
//! with bytes flipped it is either refused or still exactly that envelope.
#![no_main]

mod common;

use common::{fixture, mutate, sign_raw, strings};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use protocol::fleet::{
    open_up, seal_up, Birth, CommandResult, CommandState, Drift, Envelope, FleetError,
    InterfaceCounters, Reported, RouterIdentity, Service, SessionChange, SessionEvent, Status,
    Telemetry, UpBody, MAX_MESSAGE_BYTES, PROTOCOL_VERSION,
};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut u = Unstructured::new(rest);
    match mode % 4 {
        // Raw bytes as the payload.
        0 => check(rest, None),
        // A sealed envelope, some of its bytes then changed.
        1 => {
            let Ok(envelope) = envelope(&mut u) else {
                return;
            };
            let mut wire = seal_up(&envelope, &fixture().key);
            let Ok(edits) = mutate(&mut u, &mut wire) else {
                return;
            };
            check(&wire, Some((&envelope, edits == 0)));
        }
        // Envelope JSON with bytes changed, signed afterwards: the parser behind the signature.
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
        // Arbitrary text, validly signed.
        _ => check(&sign_raw(&String::from_utf8_lossy(rest)), None),
    }
});

/// `sealed_from`: the envelope the wire was sealed from, and whether the wire is untouched.
fn check(wire: &[u8], sealed_from: Option<(&Envelope, bool)>) {
    let f = fixture();
    let result = open_up(wire, &f.agent, &f.public_key);
    match &result {
        Ok(opened) => {
            assert_eq!(opened.agent_id, f.agent);
            assert_eq!(opened.v, PROTOCOL_VERSION);
            let again = open_up(&seal_up(opened, &f.key), &f.agent, &f.public_key);
            assert_eq!(
                again.as_ref(),
                Ok(opened),
                "re-sealing changed the envelope"
            );
            let json = serde_json::to_string(opened).unwrap();
            assert_eq!(&serde_json::from_str::<Envelope>(&json).unwrap(), opened);
        }
        Err(e) => {
            let _ = (e.to_string(), e.code());
        }
    }
    if let Some((original, untouched)) = sealed_from {
        if untouched {
            assert_eq!(result, expected(original, wire.len()));
        } else if let Ok(opened) = &result {
            // Accepted after edits: only edits that change nothing signed (hex case in `s`).
            assert_eq!(
                opened, original,
                "a changed message was accepted as another one"
            );
        }
    }
}

/// What opening an untouched seal of `envelope` must give.
fn expected(envelope: &Envelope, wire_len: usize) -> std::result::Result<Envelope, FleetError> {
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

fn envelope(u: &mut Unstructured) -> Result<Envelope> {
    let f = fixture();
    Ok(Envelope {
        // Mostly well-formed, so most inputs get past the version and agent checks.
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
        boot_id: u.arbitrary()?,
        seq: u.arbitrary()?,
        sent_at_ms: u.arbitrary()?,
        mono_ms: u.arbitrary()?,
        clock_synced: u.arbitrary()?,
        historical: u.arbitrary()?,
        body: body(u)?,
    })
}

fn body(u: &mut Unstructured) -> Result<UpBody> {
    Ok(match u.int_in_range(0..=5)? {
        0 => UpBody::Status(Status {
            online: u.arbitrary()?,
            boot_id: u.arbitrary()?,
            boot_seq: u.arbitrary()?,
        }),
        1 => UpBody::Birth(Birth {
            agent_version: u.arbitrary()?,
            boot_seq: u.arbitrary()?,
            capabilities: strings(u)?,
            routeros: if u.arbitrary()? {
                Some(RouterIdentity {
                    identity: u.arbitrary()?,
                    version: u.arbitrary()?,
                    board: u.arbitrary()?,
                })
            } else {
                None
            },
            applied_desired_version: u.arbitrary()?,
        }),
        2 => UpBody::Reported(Reported {
            applied_desired_version: u.arbitrary()?,
            drift: Drift {
                in_sync: u.arbitrary()?,
                pending_operations: u.arbitrary()?,
                refused: u.arbitrary()?,
                notes: strings(u)?,
            },
        }),
        3 => {
            let n = u.int_in_range(0..=3)?;
            let interfaces = (0..n)
                .map(|_| {
                    Ok(InterfaceCounters {
                        name: u.arbitrary()?,
                        rx_bytes: u.arbitrary()?,
                        tx_bytes: u.arbitrary()?,
                        running: u.arbitrary()?,
                    })
                })
                .collect::<Result<_>>()?;
            UpBody::Telemetry(Telemetry {
                cpu_load_pct: u.arbitrary()?,
                free_memory_bytes: u.arbitrary()?,
                total_memory_bytes: u.arbitrary()?,
                uptime_secs: u.arbitrary()?,
                pppoe_active: u.arbitrary()?,
                hotspot_active: u.arbitrary()?,
                interfaces,
            })
        }
        4 => UpBody::Event(SessionEvent {
            change: *u.choose(&[SessionChange::Up, SessionChange::Down])?,
            service: *u.choose(&[Service::Pppoe, Service::Hotspot])?,
            user: u.arbitrary()?,
            address: u.arbitrary()?,
            caller_id: u.arbitrary()?,
            router_session_id: u.arbitrary()?,
            at_ms: u.arbitrary()?,
            uptime_secs: u.arbitrary()?,
            bytes_in: u.arbitrary()?,
            bytes_out: u.arbitrary()?,
        }),
        _ => UpBody::CommandResult(CommandResult {
            id: u.arbitrary()?,
            state: *u.choose(&[
                CommandState::Received,
                CommandState::InProgress,
                CommandState::Succeeded,
                CommandState::Failed,
                CommandState::Rejected,
                CommandState::Expired,
            ])?,
            detail: u.arbitrary()?,
        }),
    })
}
