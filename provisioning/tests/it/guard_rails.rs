//! Guard rails: each refusal with its reason, and the override that lets the plan through.

use insta::assert_snapshot;
use provisioning::{plan, Desired, Observed, Policy, Row, Suspension};

use crate::fixture::*;

/// `n` subscribers on the built-in profile, desired and on the router, all online.
fn subscribers(n: u64) -> (Desired, Observed) {
    let desired = Desired {
        secrets: (1..=n)
            .map(|id| secret(id, &format!("user{id:03}"), "default"))
            .collect(),
        ..Default::default()
    };
    let mut observed = Observed::default();
    for s in &desired.secrets {
        let props = [
            ("name", s.name.clone()),
            ("password", s.password.clone()),
            ("profile", "default".to_owned()),
            ("service", "pppoe".to_owned()),
            ("comment", format!("setu:sub={}", s.subscriber_id)),
        ];
        let secret_row = Row::new(format!("*{:X}", s.subscriber_id), props);
        let session_row = Row::new(
            format!("*8{:07X}", s.subscriber_id),
            [("name", s.name.clone())],
        );
        observed
            .rows
            .entry(provisioning::Menu::PppSecret)
            .or_default()
            .push(secret_row);
        observed
            .rows
            .entry(provisioning::Menu::PppActive)
            .or_default()
            .push(session_row);
    }
    (desired, observed)
}

fn refusal(desired: &Desired, observed: &Observed, policy: &Policy) -> String {
    plan(desired, observed, policy)
        .expect_err("the plan should be refused")
        .to_string()
}

#[test]
fn mass_removal_is_refused_unless_allowed() {
    let (mut desired, observed) = subscribers(30);
    desired.secrets.truncate(15);
    assert_snapshot!(refusal(&desired, &observed, &Policy::default()), @r#"
    plan refused:
    - the plan would remove or newly disable/suspend 15 managed entries, more than the 10 one run may change (10% of the 30 managed entries on the router, at least 10); check the desired state, then re-run with allow_mass_changes to apply it
    "#);

    let allowed = Policy {
        allow_mass_changes: true,
        ..Policy::default()
    };
    let counts = plan(&desired, &observed, &allowed).unwrap().counts();
    assert_eq!((counts.removes, counts.kicks), (15, 15));
}

#[test]
fn the_floor_lets_small_routers_change_a_few() {
    let (mut desired, observed) = subscribers(30);
    desired.secrets.truncate(20);
    assert_eq!(
        plan(&desired, &observed, &Policy::default())
            .unwrap()
            .counts()
            .removes,
        10
    );
}

#[test]
fn the_share_scales_with_the_router() {
    let (mut desired, observed) = subscribers(200);
    desired.secrets.truncate(180);
    assert!(
        plan(&desired, &observed, &Policy::default()).is_ok(),
        "20 of 200 is 10%"
    );
    desired.secrets.truncate(179);
    let reasons = plan(&desired, &observed, &Policy::default())
        .unwrap_err()
        .reasons;
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].starts_with("the plan would remove or newly disable/suspend 21 managed entries, more than the 20 one run may change"), "{}", reasons[0]);
}

#[test]
fn mass_suspension_is_refused_but_kicks_do_not_count() {
    let (mut desired, observed) = subscribers(30);
    for s in &mut desired.secrets[..11] {
        s.suspended = true;
    }
    assert_snapshot!(refusal(&desired, &observed, &Policy::default()), @r#"
    plan refused:
    - the plan would remove or newly disable/suspend 11 managed entries, more than the 10 one run may change (10% of the 30 managed entries on the router, at least 10); check the desired state, then re-run with allow_mass_changes to apply it
    "#);

    let (mut desired, observed) = subscribers(30);
    for s in &mut desired.secrets {
        s.password = "rotated".into();
    }
    let counts = plan(&desired, &observed, &Policy::default())
        .unwrap()
        .counts();
    assert_eq!((counts.sets, counts.kicks), (30, 30));
}

#[test]
fn mass_suspension_in_the_walled_garden_counts_too() {
    let (mut desired, observed) = subscribers(30);
    desired.ppp_profiles.push(ppp_profile("walled", "128k"));
    for s in &mut desired.secrets[..11] {
        s.suspended = true;
    }
    let policy = Policy {
        suspension: Suspension::WalledGarden {
            ppp_profile: "walled".into(),
            hotspot_profile: None,
        },
        ..Policy::default()
    };
    let reasons = plan(&desired, &observed, &policy).unwrap_err().reasons;
    assert!(
        reasons[0].contains("newly disable/suspend 11 managed entries"),
        "{reasons:?}"
    );
}

#[test]
fn an_empty_desired_state_is_refused_unless_allowed() {
    let (_, observed) = subscribers(5);
    let empty = Desired::default();
    assert_snapshot!(refusal(&empty, &observed, &Policy::default()), @r#"
    plan refused:
    - the desired state has no secrets, hotspot users, queues or address-list entries, but the router holds 5 managed ones; an empty state usually means the controller lost its data, so nothing is removed unless the run sets allow_empty_desired
    "#);

    let allowed = Policy {
        allow_empty_desired: true,
        ..Policy::default()
    };
    assert_eq!(
        plan(&empty, &observed, &allowed).unwrap().counts().removes,
        5
    );
}

#[test]
fn an_empty_desired_state_on_a_big_router_needs_both_overrides() {
    let (_, observed) = subscribers(30);
    let empty = Desired::default();
    let reasons = plan(&empty, &observed, &Policy::default())
        .unwrap_err()
        .reasons;
    assert_eq!(reasons.len(), 2, "{reasons:?}");

    let both = Policy {
        allow_empty_desired: true,
        allow_mass_changes: true,
        ..Policy::default()
    };
    assert_eq!(plan(&empty, &observed, &both).unwrap().counts().removes, 30);
}

#[test]
fn an_empty_desired_state_on_an_unmanaged_router_is_fine() {
    let observed = router("/ppp/secret *1 name=someone password=x");
    let plan = plan(&Desired::default(), &observed, &Policy::default()).unwrap();
    assert!(plan.is_empty());
}

#[test]
fn targets_covering_everything_are_refused_without_override() {
    let desired = Desired {
        queues: vec![
            queue(1, "q-all", "0.0.0.0/0", "1M", "1M"),
            queue(2, "q-list", "10.0.0.1/32, 0.0.0.0", "1M", "1M"),
            queue(3, "q-empty", " ", "1M", "1M"),
            queue(4, "q-ok", "10.0.0.4", "1M", "1M"),
        ],
        address_lists: vec![listed(5, "suspended", "::/0"), listed(6, "suspended", "")],
        ..Default::default()
    };
    let everything_allowed = Policy {
        allow_mass_changes: true,
        allow_empty_desired: true,
        adopt_matching_names: true,
        ..Policy::default()
    };
    assert_snapshot!(refusal(&desired, &Observed::default(), &everything_allowed), @r#"
    plan refused:
    - queues[0].target: 0.0.0.0/0 matches every address; an entry must name the subscriber's own addresses
    - queues[1].target: 0.0.0.0 matches every address; an entry must name the subscriber's own addresses
    - queues[2].target: must not be empty
    - address_lists[0].address: ::/0 matches every address; an entry must name the subscriber's own addresses
    - address_lists[1].address: must not be empty
    "#);
}

#[test]
fn walled_garden_profile_must_exist_somewhere() {
    let mut desired = two_subscribers();
    desired.secrets[0].suspended = true;
    let policy = Policy {
        suspension: Suspension::WalledGarden {
            ppp_profile: "walled".into(),
            hotspot_profile: None,
        },
        ..Policy::default()
    };
    assert_snapshot!(refusal(&desired, &router(TWO_SUBSCRIBERS_ROUTER), &policy), @r#"
    plan refused:
    - the walled-garden PPP profile "walled" is neither desired nor on the router, so suspended secrets cannot be moved to it; add it to the desired PPP profiles or create it on the router
    "#);

    let observed = two_subscribers_router_and("/ppp/profile *9 name=walled rate-limit=64k/64k");
    assert!(plan(&desired, &observed, &policy).is_ok());
}

#[test]
fn an_invalid_desired_state_is_refused_with_its_errors() {
    let mut desired = two_subscribers();
    desired.secrets[1].profile = "20M".into();
    assert_snapshot!(refusal(&desired, &router(TWO_SUBSCRIBERS_ROUTER), &Policy::default()), @r#"
    plan refused:
    - secrets[1].profile: unknown profile "20M"
    "#);
}
