//! Compact fixtures: the router as text, desired entries from one-line builders.

use provisioning::{
    plan, AddressListEntry, Desired, HotspotProfile, HotspotUser, Menu, Observed, Policy,
    PppProfile, PppSecret, Rate, RateLimit, Row, SimpleQueue,
};

/// Reads a router from text, one row a line: `<menu path> <.id> key=value ...`. A value with
/// spaces is quoted (`rate-limit="5M/10M 10M/20M 4M/8M 16/16"`); `#` starts a comment line.
pub fn router(text: &str) -> Observed {
    let mut observed = Observed::default();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let words = split_words(line);
        let [path, id, props @ ..] = words.as_slice() else {
            panic!("need a path and an id: {line}")
        };
        let menu = Menu::ALL
            .into_iter()
            .find(|m| m.path() == path)
            .unwrap_or_else(|| panic!("menu {path}"));
        let props = props.iter().map(|word| {
            word.split_once('=')
                .unwrap_or_else(|| panic!("not key=value: {word}"))
        });
        observed
            .rows
            .entry(menu)
            .or_default()
            .push(Row::new(id.as_str(), props));
    }
    observed
}

fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The plan as text, or the refusal as text.
pub fn render(desired: &Desired, observed: &Observed, policy: &Policy) -> String {
    match plan(desired, observed, policy) {
        Ok(plan) => plan.to_string(),
        Err(refusal) => refusal.to_string(),
    }
}

pub fn limit(text: &str) -> RateLimit {
    RateLimit::parse_routeros(text).unwrap()
}

pub fn ppp_profile(name: &str, rate_limit: &str) -> PppProfile {
    PppProfile {
        name: name.into(),
        rate_limit: Some(limit(rate_limit)),
        ..Default::default()
    }
}

pub fn hotspot_profile(name: &str, rate_limit: &str) -> HotspotProfile {
    HotspotProfile {
        name: name.into(),
        rate_limit: Some(limit(rate_limit)),
        ..Default::default()
    }
}

/// A PPPoE secret whose password is `pw-<name>`.
pub fn secret(subscriber_id: u64, name: &str, profile: &str) -> PppSecret {
    PppSecret {
        subscriber_id,
        name: name.into(),
        password: format!("pw-{name}"),
        profile: profile.into(),
        service: "pppoe".into(),
        ..Default::default()
    }
}

pub fn hotspot_user(subscriber_id: u64, name: &str, profile: &str) -> HotspotUser {
    HotspotUser {
        subscriber_id,
        name: name.into(),
        password: format!("pw-{name}"),
        profile: profile.into(),
        ..Default::default()
    }
}

pub fn queue(
    subscriber_id: u64,
    name: &str,
    target: &str,
    upload: &str,
    download: &str,
) -> SimpleQueue {
    SimpleQueue {
        subscriber_id,
        name: name.into(),
        target: target.into(),
        max_upload: upload.parse::<Rate>().unwrap(),
        max_download: download.parse::<Rate>().unwrap(),
        ..Default::default()
    }
}

pub fn listed(subscriber_id: u64, list: &str, address: &str) -> AddressListEntry {
    AddressListEntry {
        subscriber_id,
        list: list.into(),
        address: address.into(),
    }
}

/// Two plans and two subscribers, alice on 10M and bob on 20M.
pub fn two_subscribers() -> Desired {
    Desired {
        ppp_profiles: vec![
            ppp_profile("setu-10M", "5M/10M"),
            ppp_profile("setu-20M", "10M/20M"),
        ],
        secrets: vec![secret(1, "alice", "setu-10M"), secret(2, "bob", "setu-20M")],
        ..Default::default()
    }
}

/// A router holding exactly [`two_subscribers`], as a v7 router echoes it, both online.
pub const TWO_SUBSCRIBERS_ROUTER: &str = r#"
    /ppp/profile *0 name=default
    /ppp/profile *1 name=setu-10M rate-limit=5M/10M comment=setu
    /ppp/profile *2 name=setu-20M rate-limit=10000000/20000000 comment=setu
    /ppp/secret *1A name=alice password=pw-alice profile=setu-10M service=pppoe disabled=false comment=setu:sub=1
    /ppp/secret *1B name=bob password=pw-bob profile=setu-20M service=pppoe disabled=no comment=setu:sub=2
    /ppp/active *80000001 name=alice address=10.20.0.11 caller-id=C4:6E:1F:98:8B:6F
    /ppp/active *80000002 name=bob address=10.20.0.12 caller-id=C4:6E:1F:98:8B:70
"#;

/// [`TWO_SUBSCRIBERS_ROUTER`] with more lines.
pub fn two_subscribers_router_and(more: &str) -> Observed {
    router(&format!("{TWO_SUBSCRIBERS_ROUTER}\n{more}"))
}
