//! `Desired::validate`: every problem, with the path to it.

use provisioning::{Desired, HotspotUser, PppProfile, ValidationError};

use crate::fixture::*;

fn errors(desired: &Desired) -> Vec<String> {
    desired
        .validate()
        .expect_err("should be invalid")
        .iter()
        .map(ValidationError::to_string)
        .collect()
}

#[test]
fn a_sound_state_is_valid() {
    assert_eq!(two_subscribers().validate(), Ok(()));
    let builtin = Desired {
        secrets: vec![
            secret(1, "a", "default"),
            secret(2, "b", "default-encryption"),
        ],
        ..Default::default()
    };
    assert_eq!(builtin.validate(), Ok(()));
}

#[test]
fn duplicates_are_reported_against_the_first() {
    let mut desired = two_subscribers();
    desired.ppp_profiles.push(ppp_profile("setu-10M", "1M/1M"));
    desired.secrets.push(secret(1, "alice", "setu-10M"));
    desired.queues = vec![
        queue(5, "q", "10.0.0.1", "1M", "1M"),
        queue(5, "q", "10.0.0.2", "1M", "1M"),
    ];
    desired.address_lists = vec![
        listed(5, "suspended", "10.0.0.1"),
        listed(6, "suspended", "10.0.0.1/32"),
    ];
    assert_eq!(
        errors(&desired),
        [
            "ppp_profiles[2].name: duplicate name \"setu-10M\" (also ppp_profiles[0])",
            "secrets[2].name: duplicate name \"alice\" (also secrets[0])",
            "secrets[2].subscriber_id: duplicate subscriber id 1 (also secrets[0])",
            "queues[1].name: duplicate name \"q\" (also queues[0])",
            "queues[1].subscriber_id: duplicate subscriber id 5 (also queues[0])",
            "address_lists[1].address: 10.0.0.1/32 is already in list \"suspended\" (address_lists[0])",
        ]
    );
}

#[test]
fn unknown_profiles_are_reported() {
    let mut desired = two_subscribers();
    desired.secrets[1].profile = "20M".into();
    desired.hotspot_users = vec![
        hotspot_user(9, "v9", "default"),
        hotspot_user(10, "v10", "default-encryption"),
    ];
    assert_eq!(
        errors(&desired),
        [
            "secrets[1].profile: unknown profile \"20M\"",
            "hotspot_users[1].profile: unknown profile \"default-encryption\"",
        ]
    );
}

#[test]
fn empty_and_malformed_values_are_reported() {
    let desired = Desired {
        ppp_profiles: vec![PppProfile {
            name: " ".into(),
            ..Default::default()
        }],
        secrets: vec![
            provisioning::PppSecret {
                password: String::new(),
                service: "pppoa".into(),
                ..secret(1, "", "default")
            },
            provisioning::PppSecret {
                remote_address: Some("10.0.0.5".parse().unwrap()),
                ..secret(2, "b", "")
            },
            provisioning::PppSecret {
                remote_address: Some("10.0.0.5".parse().unwrap()),
                ..secret(3, "c", "default")
            },
        ],
        hotspot_users: vec![HotspotUser {
            limit_uptime: Some("1 day".into()),
            mac_address: Some("aa-bb-cc-dd-ee-ff".into()),
            ..hotspot_user(4, "d", "default")
        }],
        address_lists: vec![listed(5, "", "10.0.0.9")],
        ..Default::default()
    };
    assert_eq!(
        errors(&desired),
        [
            "ppp_profiles[0].name: must not be empty",
            "secrets[0].name: must not be empty",
            "secrets[0].password: must not be empty",
            "secrets[0].service: unknown service \"pppoa\" (expected one of any, async, isdn, l2tp, pppoe, pptp, ovpn, sstp)",
            "secrets[1].profile: must not be empty",
            "secrets[2].remote_address: 10.0.0.5 is also given to secrets[1]",
            "hotspot_users[0].limit_uptime: \"1 day\" is not a RouterOS duration (e.g. 1d, 12h, 30m)",
            "hotspot_users[0].mac_address: \"aa-bb-cc-dd-ee-ff\" is not a MAC address",
            "address_lists[0].list: must not be empty",
        ]
    );
}

#[test]
fn a_hotspot_user_may_have_no_password() {
    let desired = Desired {
        hotspot_users: vec![HotspotUser {
            password: String::new(),
            ..hotspot_user(1, "mac-login", "default")
        }],
        ..Default::default()
    };
    assert_eq!(desired.validate(), Ok(()));
}

#[test]
fn bad_priorities_are_reported() {
    let mut desired = two_subscribers();
    desired.ppp_profiles[0].rate_limit = Some(provisioning::RateLimit {
        priority: Some(0),
        ..limit("1M")
    });
    assert_eq!(
        errors(&desired),
        ["ppp_profiles[0].rate_limit: priority must be 1 to 8, not 0"]
    );
}
