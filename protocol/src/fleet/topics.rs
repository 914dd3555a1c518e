//! MQTT topic names. Every topic is `a/{agent}/…`, so one broker ACL line
//! (`pattern readwrite a/%u/#`, with username = agent id) confines each agent to its own tree.
//!
//! | topic | direction | notes |
//! |---|---|---|
//! | `a/{agent}/status` | up | retained, QoS 1; also the agent's MQTT last will (`online: false`) |
//! | `a/{agent}/up/{birth,reported,telemetry,event,cmd_result}` | up | |
//! | `a/{agent}/down/{desired,cmd,ack}` | down | |

use super::AgentId;

/// Controller subscription for every agent's uplinks, shared across controller replicas.
pub const CONTROLLER_UP_FILTER: &str = "$share/setu-controller/a/+/up/#";
/// Controller subscription for every agent's status, shared across controller replicas.
///
/// MQTT 5 brokers do not deliver *retained* messages to shared subscriptions, so a controller
/// that needs the current status of every agent at startup subscribes with
/// [`CONTROLLER_STATUS_FILTER_UNSHARED`] instead (status handling is idempotent by `boot_seq`).
pub const CONTROLLER_STATUS_FILTER: &str = "$share/setu-controller/a/+/status";
/// [`CONTROLLER_UP_FILTER`] for brokers without `$share` (a single controller).
pub const CONTROLLER_UP_FILTER_UNSHARED: &str = "a/+/up/#";
/// [`CONTROLLER_STATUS_FILTER`] for brokers without `$share`, or to receive retained statuses.
pub const CONTROLLER_STATUS_FILTER_UNSHARED: &str = "a/+/status";

/// Everything an agent receives: `a/{agent}/down/#`.
pub fn agent_filter(agent: &AgentId) -> String {
    format!("a/{agent}/down/#")
}

/// Uplink message kinds, each on its own topic under `a/{agent}/up/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpKind {
    Birth,
    Reported,
    Telemetry,
    Event,
    CommandResult,
}

/// Downlink message kinds, each on its own topic under `a/{agent}/down/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DownKind {
    Desired,
    Command,
    Ack,
}

impl UpKind {
    pub const ALL: [UpKind; 5] = [
        UpKind::Birth,
        UpKind::Reported,
        UpKind::Telemetry,
        UpKind::Event,
        UpKind::CommandResult,
    ];

    /// The topic level.
    pub fn as_str(self) -> &'static str {
        match self {
            UpKind::Birth => "birth",
            UpKind::Reported => "reported",
            UpKind::Telemetry => "telemetry",
            UpKind::Event => "event",
            UpKind::CommandResult => "cmd_result",
        }
    }
}

impl DownKind {
    pub const ALL: [DownKind; 3] = [DownKind::Desired, DownKind::Command, DownKind::Ack];

    /// The topic level.
    pub fn as_str(self) -> &'static str {
        match self {
            DownKind::Desired => "desired",
            DownKind::Command => "cmd",
            DownKind::Ack => "ack",
        }
    }
}

/// Which of an agent's topics a message is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicKind {
    Status,
    Up(UpKind),
    Down(DownKind),
}

/// A parsed topic name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub agent: AgentId,
    pub kind: TopicKind,
}

/// `a/{agent}/status`.
pub fn status(agent: &AgentId) -> String {
    format!("a/{agent}/status")
}

/// `a/{agent}/up/{kind}`.
pub fn up(agent: &AgentId, kind: UpKind) -> String {
    format!("a/{agent}/up/{}", kind.as_str())
}

/// `a/{agent}/down/{kind}`.
pub fn down(agent: &AgentId, kind: DownKind) -> String {
    format!("a/{agent}/down/{}", kind.as_str())
}

/// The topic name for `kind`.
pub fn build(agent: &AgentId, kind: TopicKind) -> String {
    match kind {
        TopicKind::Status => status(agent),
        TopicKind::Up(kind) => up(agent, kind),
        TopicKind::Down(kind) => down(agent, kind),
    }
}

/// Parses a topic name (as delivered, i.e. without any `$share/…` prefix). `None` for anything
/// that is not exactly one of the topics above with a valid agent id.
pub fn parse(topic: &str) -> Option<Topic> {
    let mut levels = topic.split('/');
    if levels.next()? != "a" {
        return None;
    }
    let agent = AgentId::parse(levels.next()?).ok()?;
    let kind = match (levels.next()?, levels.next()) {
        ("status", None) => TopicKind::Status,
        ("up", Some(kind)) => TopicKind::Up(*UpKind::ALL.iter().find(|k| k.as_str() == kind)?),
        ("down", Some(kind)) => {
            TopicKind::Down(*DownKind::ALL.iter().find(|k| k.as_str() == kind)?)
        }
        _ => return None,
    };
    if levels.next().is_some() {
        return None;
    }
    Some(Topic { agent, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent() -> AgentId {
        AgentId::parse("pop-mirpur-01").unwrap()
    }

    #[test]
    fn builders_write_the_documented_names() {
        assert_eq!(status(&agent()), "a/pop-mirpur-01/status");
        assert_eq!(
            up(&agent(), UpKind::CommandResult),
            "a/pop-mirpur-01/up/cmd_result"
        );
        assert_eq!(
            down(&agent(), DownKind::Command),
            "a/pop-mirpur-01/down/cmd"
        );
        assert_eq!(agent_filter(&agent()), "a/pop-mirpur-01/down/#");
    }

    #[test]
    fn every_topic_round_trips() {
        let kinds = std::iter::once(TopicKind::Status)
            .chain(UpKind::ALL.map(TopicKind::Up))
            .chain(DownKind::ALL.map(TopicKind::Down));
        for kind in kinds {
            let name = build(&agent(), kind);
            assert_eq!(
                parse(&name),
                Some(Topic {
                    agent: agent(),
                    kind
                }),
                "{name}"
            );
        }
    }

    #[test]
    fn parse_rejects_everything_else() {
        for bad in [
            "",
            "a",
            "a/pop-mirpur-01",
            "b/pop-mirpur-01/status",
            "/a/pop-mirpur-01/status",
            "$share/setu-controller/a/pop-mirpur-01/status",
            "a/pop-mirpur-01/status/extra",
            "a/pop-mirpur-01/status/",
            "a/pop-mirpur-01/up",
            "a/pop-mirpur-01/up/",
            "a/pop-mirpur-01/up/birth/extra",
            "a/pop-mirpur-01/up/desired",
            "a/pop-mirpur-01/down/birth",
            "a/pop-mirpur-01/down/command",
            "a/pop-mirpur-01/sideways/birth",
            "a//status",
            "a/+/status",
            "a/#",
            "a/pop+1/up/birth",
            "a/Pop-Mirpur/status",
            &format!("a/{}/status", "x".repeat(65)),
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn controller_filters_cover_every_uplink_topic() {
        // A filter match, minimally: `+` is one level, a trailing `#` is the rest.
        fn matches(filter: &str, topic: &str) -> bool {
            let filter = filter.trim_start_matches("$share/setu-controller/");
            let (mut f, mut t) = (filter.split('/'), topic.split('/'));
            loop {
                match (f.next(), t.next()) {
                    (Some("#"), _) => return true,
                    (Some("+"), Some(_)) => {}
                    (Some(a), Some(b)) if a == b => {}
                    (None, None) => return true,
                    _ => return false,
                }
            }
        }
        let agent = agent();
        for kind in UpKind::ALL {
            assert!(matches(CONTROLLER_UP_FILTER, &up(&agent, kind)));
            assert!(matches(CONTROLLER_UP_FILTER_UNSHARED, &up(&agent, kind)));
        }
        assert!(matches(CONTROLLER_STATUS_FILTER, &status(&agent)));
        assert!(matches(CONTROLLER_STATUS_FILTER_UNSHARED, &status(&agent)));
        for kind in DownKind::ALL {
            assert!(matches(&agent_filter(&agent), &down(&agent, kind)));
            assert!(!matches(CONTROLLER_UP_FILTER, &down(&agent, kind)));
        }
    }
}
