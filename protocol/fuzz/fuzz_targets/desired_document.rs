//! The desired-state document, as the agent reads it: JSON bytes (a document fetched from the
//! controller, `desired.json`) or TOML text (an operator's file), into
//! `protocol::desired::DesiredState`; then into `provisioning::Desired`, validated, and planned.
//! Half the inputs are raw text; the other half build a document from the input, write it as
//! JSON or TOML, and change a few bytes, so the fuzzer starts from documents that parse.
//!
//! Invariants: no panic anywhere on the way; a parsed document survives a JSON round trip, and a
//! TOML round trip whenever TOML can hold it; an unchanged written document parses back to
//! itself; a document that validates gets a plan against an empty router (no guard rail applies
//! there), and once that plan is applied a second plan is empty.
//!
//! The conversion into the planner's model lives in the agent (`edge-agent/src/desired.rs`,
//! `to_model`), which this crate cannot depend on without the agent's whole runtime; `model`
//! below follows it field by field. Keep the two in step.
#![no_main]

mod common;

use common::mutate;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use protocol::desired::{self as doc, DesiredState};
use provisioning::{apply, plan, Burst, Desired, Observed, Policy, Rate, RateLimit};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let json = mode & 1 == 0;
    if mode & 2 == 0 {
        return check(rest, json, None);
    }
    let mut u = Unstructured::new(rest);
    let Ok(built) = document(&mut u) else {
        return;
    };
    let mut bytes = if json {
        serde_json::to_vec(&built).unwrap()
    } else {
        match toml::to_string(&built) {
            Ok(text) => text.into_bytes(),
            Err(_) => return,
        }
    };
    let Ok(edits) = mutate(&mut u, &mut bytes) else {
        return;
    };
    check(&bytes, json, (edits == 0).then_some(&built));
});

/// `written_from`: the document `bytes` were written from, unchanged.
fn check(bytes: &[u8], json: bool, written_from: Option<&DesiredState>) {
    let parsed: std::result::Result<DesiredState, String> = if json {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => toml::from_str(text).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    };
    if let Some(built) = written_from {
        assert_eq!(
            parsed.as_ref(),
            Ok(built),
            "our own document did not parse back"
        );
    }
    let Ok(document) = parsed else {
        return;
    };

    let json = serde_json::to_string(&document).expect("a parsed document serializes");
    let back: DesiredState = serde_json::from_str(&json).expect("our own JSON parses");
    assert_eq!(back, document, "JSON round trip: {json}");
    if let Ok(text) = toml::to_string(&document) {
        let back: DesiredState = toml::from_str(&text).expect("our own TOML parses");
        assert_eq!(back, document, "TOML round trip: {text}");
    }

    let Some(desired) = model(&document) else {
        return;
    };
    if let Err(errors) = desired.validate() {
        assert!(!errors.is_empty());
        for error in errors {
            let _ = error.to_string();
        }
        return;
    }
    let empty = Observed::default();
    let policy = Policy::default();
    let first =
        plan(&desired, &empty, &policy).expect("a valid document is planned on an empty router");
    let _ = first.to_string();
    let after = apply(&first, &empty);
    let second = plan(&desired, &after, &policy).expect("a converged router is never refused");
    assert!(
        second.is_empty(),
        "second plan:\n{second}\nfirst plan:\n{first}"
    );
}

/// A value from `pool` mostly (so names refer to each other and rates parse), else anything.
fn pick(u: &mut Unstructured, pool: &[&str]) -> Result<String> {
    if u.ratio(1, 6)? {
        u.arbitrary()
    } else {
        Ok((*u.choose(pool)?).to_owned())
    }
}

fn maybe(u: &mut Unstructured, pool: &[&str]) -> Result<Option<String>> {
    Ok(if u.arbitrary()? {
        Some(pick(u, pool)?)
    } else {
        None
    })
}

fn list<T>(
    u: &mut Unstructured,
    mut item: impl FnMut(&mut Unstructured) -> Result<T>,
) -> Result<Vec<T>> {
    let n = u.int_in_range(0..=3)?;
    (0..n).map(|_| item(u)).collect()
}

const PPP_PROFILES: &[&str] = &["p10", "p20", "default", "walled"];
const HOTSPOT_PROFILES: &[&str] = &["h1", "default", "guest"];
const NAMES: &[&str] = &["rahim", "karim", "nasrin", "rahim ", "", "a=b"];
const RATES: &[&str] = &["10M", "512k", "64000", "0", "1G", "1.5M", "10m"];
const DURATIONS: &[&str] = &["1d", "12h", "30m", "1d00:00:00", "0s", "1w2d"];
const ADDRESSES: &[&str] = &[
    "10.0.0.1",
    "10.0.0.2/32",
    "10.0.1.0/24",
    "10.0.0.1,10.0.0.3",
    "0.0.0.0/0",
    "",
];
const MACS: &[&str] = &["AA:BB:CC:00:11:22", "aa:bb:cc:00:11:2", "aa-bb-cc-00-11-22"];

fn subscriber(u: &mut Unstructured) -> Result<u64> {
    if u.ratio(1, 16)? {
        u.arbitrary()
    } else {
        u.int_in_range(1..=6)
    }
}

fn rates(u: &mut Unstructured) -> Result<Option<doc::Rates>> {
    if !u.arbitrary()? {
        return Ok(None);
    }
    Ok(Some(doc::Rates {
        download: pick(u, RATES)?,
        upload: pick(u, RATES)?,
        burst: if u.ratio(1, 3)? {
            Some(doc::Burst {
                download: pick(u, RATES)?,
                upload: pick(u, RATES)?,
                threshold_download: pick(u, RATES)?,
                threshold_upload: pick(u, RATES)?,
                time_secs: u.int_in_range(0..=3600)?,
            })
        } else {
            None
        },
        priority: if u.arbitrary()? {
            Some(u.int_in_range(0..=9)?)
        } else {
            None
        },
        min_download: maybe(u, RATES)?,
        min_upload: maybe(u, RATES)?,
    }))
}

fn document(u: &mut Unstructured) -> Result<DesiredState> {
    Ok(DesiredState {
        version: u.arbitrary::<u32>()?.into(),
        ppp_profiles: list(u, |u| {
            Ok(doc::PppProfile {
                name: pick(u, PPP_PROFILES)?,
                rates: rates(u)?,
                local_address: maybe(u, ADDRESSES)?,
                remote_address: maybe(u, &["pool-home", "10.0.0.9"])?,
                dns_server: maybe(u, &["1.1.1.1", "1.1.1.1,8.8.8.8"])?,
                only_one: u.arbitrary()?,
                address_list: maybe(u, &["setu-suspended"])?,
            })
        })?,
        secrets: list(u, |u| {
            Ok(doc::PppSecret {
                subscriber_id: subscriber(u)?,
                name: pick(u, NAMES)?,
                password: pick(u, &["pw", "", "p=w"])?,
                profile: pick(u, PPP_PROFILES)?,
                service: pick(u, &["pppoe", "any", "telnet"])?,
                remote_address: if u.arbitrary()? {
                    Some(u.int_in_range(0x0a00_0001..=0x0a00_0004u32)?.into())
                } else {
                    None
                },
                disabled: u.arbitrary()?,
                suspended: u.arbitrary()?,
            })
        })?,
        hotspot_profiles: list(u, |u| {
            Ok(doc::HotspotProfile {
                name: pick(u, HOTSPOT_PROFILES)?,
                rates: rates(u)?,
                shared_users: if u.arbitrary()? {
                    Some(u.int_in_range(0..=3)?)
                } else {
                    None
                },
                session_timeout: maybe(u, DURATIONS)?,
                address_pool: maybe(u, &["pool-guest"])?,
            })
        })?,
        hotspot_users: list(u, |u| {
            Ok(doc::HotspotUser {
                subscriber_id: subscriber(u)?,
                name: pick(u, NAMES)?,
                password: pick(u, &["pw", ""])?,
                profile: pick(u, HOTSPOT_PROFILES)?,
                limit_uptime: maybe(u, DURATIONS)?,
                limit_bytes_total: u.arbitrary::<Option<u32>>()?.map(u64::from),
                mac_address: maybe(u, MACS)?,
                disabled: u.arbitrary()?,
                suspended: u.arbitrary()?,
            })
        })?,
        queues: list(u, |u| {
            Ok(doc::SimpleQueue {
                subscriber_id: subscriber(u)?,
                name: pick(u, &["q1", "q2", "q1 "])?,
                target: pick(u, ADDRESSES)?,
                download: pick(u, RATES)?,
                upload: pick(u, RATES)?,
                disabled: u.arbitrary()?,
                suspended: u.arbitrary()?,
            })
        })?,
        address_lists: list(u, |u| {
            Ok(doc::AddressListEntry {
                subscriber_id: subscriber(u)?,
                list: pick(u, &["setu-suspended", "vip", ""])?,
                address: pick(u, ADDRESSES)?,
            })
        })?,
    })
}

/// `edge-agent/src/desired.rs::to_model` without its error messages: `None` where it reports a
/// rate that does not parse.
fn model(d: &DesiredState) -> Option<Desired> {
    fn rate(text: &str) -> Option<Rate> {
        text.parse().ok()
    }
    fn rates(r: &doc::Rates) -> Option<RateLimit> {
        Some(RateLimit {
            upload: rate(&r.upload)?,
            download: rate(&r.download)?,
            burst: match &r.burst {
                Some(b) => Some(Burst {
                    upload_rate: rate(&b.upload)?,
                    download_rate: rate(&b.download)?,
                    upload_threshold: rate(&b.threshold_upload)?,
                    download_threshold: rate(&b.threshold_download)?,
                    upload_time_secs: b.time_secs,
                    download_time_secs: b.time_secs,
                }),
                None => None,
            },
            priority: r.priority,
            min: match (&r.min_upload, &r.min_download) {
                (None, None) => None,
                (up, down) => Some((
                    rate(up.as_deref().unwrap_or("0"))?,
                    rate(down.as_deref().unwrap_or("0"))?,
                )),
            },
        })
    }
    fn optional_rates(r: &Option<doc::Rates>) -> Option<Option<RateLimit>> {
        match r {
            Some(r) => rates(r).map(Some),
            None => Some(None),
        }
    }
    Some(Desired {
        ppp_profiles: d
            .ppp_profiles
            .iter()
            .map(|p| {
                Some(provisioning::PppProfile {
                    name: p.name.clone(),
                    rate_limit: optional_rates(&p.rates)?,
                    local_address: p.local_address.clone(),
                    remote_address: p.remote_address.clone(),
                    dns_server: p.dns_server.clone(),
                    only_one: p.only_one,
                    address_list: p.address_list.clone(),
                })
            })
            .collect::<Option<_>>()?,
        secrets: d
            .secrets
            .iter()
            .map(|s| provisioning::PppSecret {
                subscriber_id: s.subscriber_id,
                name: s.name.clone(),
                password: s.password.clone(),
                profile: s.profile.clone(),
                service: s.service.clone(),
                remote_address: s.remote_address,
                disabled: s.disabled,
                suspended: s.suspended,
            })
            .collect(),
        hotspot_profiles: d
            .hotspot_profiles
            .iter()
            .map(|p| {
                Some(provisioning::HotspotProfile {
                    name: p.name.clone(),
                    rate_limit: optional_rates(&p.rates)?,
                    shared_users: p.shared_users,
                    session_timeout: p.session_timeout.clone(),
                    address_pool: p.address_pool.clone(),
                })
            })
            .collect::<Option<_>>()?,
        hotspot_users: d
            .hotspot_users
            .iter()
            .map(|u| provisioning::HotspotUser {
                subscriber_id: u.subscriber_id,
                name: u.name.clone(),
                password: u.password.clone(),
                profile: u.profile.clone(),
                limit_uptime: u.limit_uptime.clone(),
                limit_bytes_total: u.limit_bytes_total,
                mac_address: u.mac_address.clone(),
                disabled: u.disabled,
                suspended: u.suspended,
            })
            .collect(),
        queues: d
            .queues
            .iter()
            .map(|q| {
                Some(provisioning::SimpleQueue {
                    subscriber_id: q.subscriber_id,
                    name: q.name.clone(),
                    target: q.target.clone(),
                    max_upload: rate(&q.upload)?,
                    max_download: rate(&q.download)?,
                    disabled: q.disabled,
                    suspended: q.suspended,
                })
            })
            .collect::<Option<_>>()?,
        address_lists: d
            .address_lists
            .iter()
            .map(|a| provisioning::AddressListEntry {
                subscriber_id: a.subscriber_id,
                list: a.list.clone(),
                address: a.address.clone(),
            })
            .collect(),
    })
}
