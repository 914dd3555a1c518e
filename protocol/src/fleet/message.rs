//! Message envelopes and bodies. Field names are the JSON names.
//!
//! Nothing here denies unknown fields: a newer peer may add fields and an older one ignores them
//! (see the compatibility note in [`super`]). `v` gates breaking changes and is checked by
//! [`super::open_up`] / [`super::open_down`] before the body is parsed.

use serde::{Deserialize, Serialize};

use super::topics::{DownKind, TopicKind, UpKind};
use super::AgentId;

/// `seq` of messages that do not go through the agent's outbox (status and its last will):
/// never acknowledged and ignored by gap detection.
pub const UNSEQUENCED: u64 = 0;

/// Every uplink (agent → controller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// [`super::PROTOCOL_VERSION`].
    pub v: u32,
    pub agent_id: AgentId,
    /// Random per agent process start (32 hex characters, [`super::new_boot_id`]).
    pub boot_id: String,
    /// Per `boot_id`, from 1, assigned by the outbox; [`UNSEQUENCED`] outside it. The controller
    /// detects gaps and duplicates with it and acknowledges the highest contiguous one.
    pub seq: u64,
    /// Agent wall clock, UTC milliseconds; meaningless while `clock_synced` is false.
    pub sent_at_ms: i64,
    /// Milliseconds since the agent process started (monotonic, immune to clock steps).
    pub mono_ms: u64,
    /// False until the agent's clock is NTP-synced.
    pub clock_synced: bool,
    /// Replayed from the disk outbox after a restart or reconnect: must not overwrite live state,
    /// and is not used to measure clock skew.
    pub historical: bool,
    pub body: UpBody,
}

/// What an uplink carries; `{"kind": "...", "data": {...}}` on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum UpBody {
    Status(Status),
    Birth(Birth),
    Reported(Reported),
    Telemetry(Telemetry),
    Event(SessionEvent),
    CommandResult(CommandResult),
}

impl UpBody {
    /// The topic this body is published on.
    pub fn topic_kind(&self) -> TopicKind {
        match self {
            UpBody::Status(_) => TopicKind::Status,
            UpBody::Birth(_) => TopicKind::Up(UpKind::Birth),
            UpBody::Reported(_) => TopicKind::Up(UpKind::Reported),
            UpBody::Telemetry(_) => TopicKind::Up(UpKind::Telemetry),
            UpBody::Event(_) => TopicKind::Up(UpKind::Event),
            UpBody::CommandResult(_) => TopicKind::Up(UpKind::CommandResult),
        }
    }
}

/// Retained on `a/{agent}/status`; the last will is the same with `online: false`. An offline
/// status whose `boot_seq` is older than the current birth's is stale (Sparkplug's `bdSeq`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub online: bool,
    pub boot_id: String,
    /// Connection counter, persisted by the agent and bumped on every MQTT connect.
    pub boot_seq: u64,
}

/// Sent after every connect and on a `rebirth` command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Birth {
    pub agent_version: String,
    pub boot_seq: u64,
    /// Features this agent understands (e.g. command actions), so the controller sends only those.
    pub capabilities: Vec<String>,
    /// `None` while the router has not been reached.
    pub routeros: Option<RouterIdentity>,
    pub applied_desired_version: u64,
}

/// What the router says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterIdentity {
    pub identity: String,
    pub version: String,
    pub board: String,
}

/// The outcome of a reconcile pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    pub applied_desired_version: u64,
    pub drift: Drift,
}

/// How far the router is from the desired state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub in_sync: bool,
    pub pending_operations: u32,
    /// A guard rail's refusal, verbatim.
    pub refused: Option<String>,
    /// Bounded by the agent (e.g. the first 50 plan lines or conflicts).
    pub notes: Vec<String>,
}

/// Router health, sent periodically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Telemetry {
    pub cpu_load_pct: u8,
    pub free_memory_bytes: u64,
    pub total_memory_bytes: u64,
    pub uptime_secs: u64,
    pub pppoe_active: u32,
    pub hotspot_active: u32,
    pub interfaces: Vec<InterfaceCounters>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceCounters {
    pub name: String,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub running: bool,
}

/// A subscriber session started or ended on the router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEvent {
    pub change: SessionChange,
    pub service: Service,
    pub user: String,
    pub address: String,
    /// PPPoE caller-id (the client's MAC) or the hotspot client's MAC.
    pub caller_id: String,
    /// The RouterOS `.id` of the active entry.
    pub router_session_id: String,
    /// When the agent saw the change (agent wall clock, UTC milliseconds).
    pub at_ms: i64,
    /// Session totals, known when a session ends.
    pub uptime_secs: Option<u64>,
    pub bytes_in: Option<u64>,
    pub bytes_out: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionChange {
    Up,
    Down,
}

/// A subscriber access service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Pppoe,
    Hotspot,
}

/// A state transition of a command (after AWS IoT Jobs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResult {
    /// [`Command::id`].
    pub id: String,
    pub state: CommandState,
    pub detail: String,
}

/// `received → in_progress → succeeded | failed`; or `rejected` (not understood or not allowed),
/// or `expired` (arrived after `expires_at_ms`). The controller marks time-outs itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandState {
    Received,
    InProgress,
    Succeeded,
    Failed,
    Rejected,
    Expired,
}

/// Every downlink (controller → agent). `agent_id` is inside the signature so a message signed
/// for one agent cannot be replayed onto another agent's topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownEnvelope {
    /// [`super::PROTOCOL_VERSION`].
    pub v: u32,
    pub agent_id: AgentId,
    /// Controller wall clock, UTC milliseconds.
    pub issued_at_ms: i64,
    pub body: DownBody,
}

/// What a downlink carries; `{"kind": "...", "data": {...}}` on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum DownBody {
    Desired(DesiredNotice),
    Command(Command),
    Ack(Ack),
}

impl DownBody {
    /// The topic this body is published on.
    pub fn topic_kind(&self) -> TopicKind {
        TopicKind::Down(match self {
            DownBody::Desired(_) => DownKind::Desired,
            DownBody::Command(_) => DownKind::Command,
            DownBody::Ack(_) => DownKind::Ack,
        })
    }
}

/// A new desired state exists. The document itself (possibly megabytes for 20,000 subscribers)
/// is fetched over HTTPS and checked against `bytes` and `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredNotice {
    pub version: u64,
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the document.
    pub sha256: String,
}

/// A one-off action. The agent remembers recent ids so a redelivered command runs once.
///
/// The action's fields are flattened into the command:
/// `{"id": "…", "action": "kick", "service": "pppoe", "user": "…", "issued_at_ms": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub id: String,
    #[serde(flatten)]
    pub action: CommandAction,
    pub issued_at_ms: i64,
    /// After this the agent answers `expired` instead of acting, so a box that was offline for a
    /// week does not replay stale work.
    pub expires_at_ms: i64,
}

impl Command {
    /// Whether the command must no longer run at agent wall-clock time `now_ms`.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at_ms
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CommandAction {
    /// Re-read the router and reconcile now.
    Resync,
    /// Disconnect one active session (only a session the agent manages).
    Kick { service: Service, user: String },
    /// Collect and report diagnostics.
    Diagnostics,
    /// Republish birth, reported state and the outbox tail (sent when the controller sees a gap).
    Rebirth,
    /// An action this build does not know (sent by a newer controller); answer `rejected`.
    #[serde(other)]
    Unsupported,
}

/// Application-level acknowledgement: the agent deletes outbox records of `boot_id` up to and
/// including `up_to_seq`. Never inferred from the broker's PUBACK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub boot_id: String,
    /// Highest contiguous `seq` the controller has stored for `boot_id`.
    pub up_to_seq: u64,
    /// The message this ack answers, stored too even above a gap: the agent may delete it, so
    /// a record lost in between (evicted from a full outbox) cannot pin everything after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Lets the agent log its clock offset.
    pub server_time_ms: i64,
}

#[cfg(test)]
pub(crate) mod examples {
    //! One fixed example of every message, shared by the snapshot and seal tests.

    use super::*;
    use crate::fleet::PROTOCOL_VERSION;

    pub(crate) fn agent() -> AgentId {
        AgentId::parse("pop-mirpur-01").unwrap()
    }

    pub(crate) const BOOT_ID: &str = "3f9a6c1e8b2d4f7a9c0e1b2d3f4a5b6c";

    pub(crate) fn up(body: UpBody) -> Envelope {
        Envelope {
            v: PROTOCOL_VERSION,
            agent_id: agent(),
            boot_id: BOOT_ID.to_owned(),
            seq: 42,
            sent_at_ms: 1_767_225_600_000,
            mono_ms: 86_400_123,
            clock_synced: true,
            historical: false,
            body,
        }
    }

    pub(crate) fn down(body: DownBody) -> DownEnvelope {
        DownEnvelope {
            v: PROTOCOL_VERSION,
            agent_id: agent(),
            issued_at_ms: 1_767_225_600_500,
            body,
        }
    }

    pub(crate) fn session_event() -> SessionEvent {
        SessionEvent {
            change: SessionChange::Down,
            service: Service::Pppoe,
            user: "rahim.mirpur".to_owned(),
            address: "10.20.0.15".to_owned(),
            caller_id: "AA:BB:CC:00:11:22".to_owned(),
            router_session_id: "*8A".to_owned(),
            at_ms: 1_767_225_599_000,
            uptime_secs: Some(3_600),
            bytes_in: Some(1_234_567_890),
            bytes_out: Some(98_765_432),
        }
    }

    pub(crate) fn telemetry() -> Telemetry {
        Telemetry {
            cpu_load_pct: 17,
            free_memory_bytes: 812_000_000,
            total_memory_bytes: 1_073_741_824,
            uptime_secs: 1_209_600,
            pppoe_active: 1_843,
            hotspot_active: 96,
            interfaces: vec![
                InterfaceCounters {
                    name: "sfp-sfpplus1-upstream".to_owned(),
                    rx_bytes: 9_876_543_210_123,
                    tx_bytes: 1_234_567_890_123,
                    running: true,
                },
                InterfaceCounters {
                    name: "ether5-mirpur-10".to_owned(),
                    rx_bytes: 0,
                    tx_bytes: 0,
                    running: false,
                },
            ],
        }
    }

    /// Every uplink kind, named for its snapshot.
    pub(crate) fn every_up() -> Vec<(&'static str, Envelope)> {
        vec![
            (
                "up_status",
                Envelope {
                    seq: UNSEQUENCED,
                    ..up(UpBody::Status(Status {
                        online: true,
                        boot_id: BOOT_ID.to_owned(),
                        boot_seq: 7,
                    }))
                },
            ),
            (
                "up_birth",
                up(UpBody::Birth(Birth {
                    agent_version: "0.1.0".to_owned(),
                    boot_seq: 7,
                    capabilities: vec![
                        "resync".to_owned(),
                        "kick".to_owned(),
                        "diagnostics".to_owned(),
                        "rebirth".to_owned(),
                    ],
                    routeros: Some(RouterIdentity {
                        identity: "Mirpur-10-CCR".to_owned(),
                        version: "7.18.2".to_owned(),
                        board: "CCR2004-1G-12S+2XS".to_owned(),
                    }),
                    applied_desired_version: 118,
                })),
            ),
            (
                "up_reported",
                up(UpBody::Reported(Reported {
                    applied_desired_version: 118,
                    drift: Drift {
                        in_sync: false,
                        pending_operations: 2,
                        refused: Some(
                            "refusing to remove 412 of 1843 managed entries (limit 92)".to_owned(),
                        ),
                        notes: vec![
                            "remove /ppp/secret name=karim.dhanmondi".to_owned(),
                            "set /ppp/secret name=rahim.mirpur profile=20M".to_owned(),
                        ],
                    },
                })),
            ),
            ("up_telemetry", up(UpBody::Telemetry(telemetry()))),
            ("up_event", up(UpBody::Event(session_event()))),
            (
                "up_cmd_result",
                up(UpBody::CommandResult(CommandResult {
                    id: "cmd-7f3e2a".to_owned(),
                    state: CommandState::Succeeded,
                    detail: "kicked 1 session of rahim.mirpur".to_owned(),
                })),
            ),
        ]
    }

    fn command(action: CommandAction) -> DownBody {
        DownBody::Command(Command {
            id: "cmd-7f3e2a".to_owned(),
            action,
            issued_at_ms: 1_767_225_600_500,
            expires_at_ms: 1_767_225_900_500,
        })
    }

    /// Every downlink kind and command action, named for its snapshot.
    pub(crate) fn every_down() -> Vec<(&'static str, DownEnvelope)> {
        vec![
            (
                "down_desired",
                down(DownBody::Desired(DesiredNotice {
                    version: 119,
                    bytes: 2_841_377,
                    sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
                        .to_owned(),
                })),
            ),
            ("down_cmd_resync", down(command(CommandAction::Resync))),
            (
                "down_cmd_kick",
                down(command(CommandAction::Kick {
                    service: Service::Hotspot,
                    user: "rahim.mirpur".to_owned(),
                })),
            ),
            (
                "down_cmd_diagnostics",
                down(command(CommandAction::Diagnostics)),
            ),
            ("down_cmd_rebirth", down(command(CommandAction::Rebirth))),
            (
                "down_ack",
                down(DownBody::Ack(Ack {
                    boot_id: BOOT_ID.to_owned(),
                    up_to_seq: 41,
                    seq: Some(44),
                    server_time_ms: 1_767_225_600_480,
                })),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::examples::*;
    use super::*;

    #[test]
    fn every_message_kind_has_a_frozen_json_form() {
        for (name, envelope) in every_up() {
            insta::assert_snapshot!(name, serde_json::to_string_pretty(&envelope).unwrap());
        }
        for (name, envelope) in every_down() {
            insta::assert_snapshot!(name, serde_json::to_string_pretty(&envelope).unwrap());
        }
    }

    #[test]
    fn every_message_round_trips_through_json() {
        for (name, envelope) in every_up() {
            let json = serde_json::to_string(&envelope).unwrap();
            assert_eq!(
                serde_json::from_str::<Envelope>(&json).unwrap(),
                envelope,
                "{name}"
            );
        }
        for (name, envelope) in every_down() {
            let json = serde_json::to_string(&envelope).unwrap();
            assert_eq!(
                serde_json::from_str::<DownEnvelope>(&json).unwrap(),
                envelope,
                "{name}"
            );
        }
    }

    #[test]
    fn bodies_name_their_topics() {
        let kinds: Vec<_> = every_up()
            .into_iter()
            .map(|(_, e)| e.body.topic_kind())
            .collect();
        assert_eq!(kinds[0], TopicKind::Status);
        assert_eq!(&kinds[1..], UpKind::ALL.map(TopicKind::Up));
        for (name, envelope) in every_down() {
            let expected = match name {
                "down_desired" => DownKind::Desired,
                "down_ack" => DownKind::Ack,
                _ => DownKind::Command,
            };
            assert_eq!(envelope.body.topic_kind(), TopicKind::Down(expected));
        }
    }

    #[test]
    fn newer_fields_are_ignored_and_missing_options_are_none() {
        let json = r#"{"v":1,"agent_id":"pop-mirpur-01","boot_id":"b","seq":1,"sent_at_ms":0,
            "mono_ms":0,"clock_synced":false,"historical":true,"added_later":[1,2],
            "body":{"kind":"birth","data":{"agent_version":"0.2.0","boot_seq":1,
            "capabilities":[],"applied_desired_version":0,"image_slot":"b"}}}"#;
        let envelope: Envelope = serde_json::from_str(json).unwrap();
        let UpBody::Birth(birth) = envelope.body else {
            panic!("{envelope:?}")
        };
        assert_eq!(birth.routeros, None);
        assert_eq!(birth.agent_version, "0.2.0");
    }

    #[test]
    fn an_unknown_command_action_is_kept_as_unsupported_so_it_can_be_rejected() {
        let json = r#"{"kind":"command","data":{"id":"cmd-1","action":"reboot_router",
            "delay_secs":5,"issued_at_ms":1,"expires_at_ms":2}}"#;
        let DownBody::Command(command) = serde_json::from_str::<DownBody>(json).unwrap() else {
            panic!()
        };
        assert_eq!(command.action, CommandAction::Unsupported);
        assert_eq!(command.id, "cmd-1");
    }

    #[test]
    fn commands_expire_at_their_deadline() {
        let command = Command {
            id: "cmd-1".to_owned(),
            action: CommandAction::Resync,
            issued_at_ms: 1_000,
            expires_at_ms: 2_000,
        };
        assert!(!command.is_expired(1_999));
        assert!(command.is_expired(2_000));
        assert!(command.is_expired(i64::MAX));
    }
}
