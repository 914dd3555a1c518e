//! Plans for the everyday situations, rendered as the operator reads them.

use insta::assert_snapshot;
use provisioning::{apply, plan, Desired, Observed, Policy, Suspension};

use crate::fixture::*;

fn walled_garden() -> Policy {
    Policy {
        suspension: Suspension::WalledGarden {
            ppp_profile: "setu-walled".into(),
            hotspot_profile: Some("hs-walled".into()),
        },
        ..Policy::default()
    }
}

/// [`two_subscribers`] plus the walled-garden plan.
fn two_subscribers_with_walled_garden() -> Desired {
    let mut desired = two_subscribers();
    desired
        .ppp_profiles
        .push(ppp_profile("setu-walled", "256k/256k"));
    desired
}

fn check(desired: &Desired, observed: &Observed) -> String {
    render(desired, observed, &Policy::default())
}

#[test]
fn fresh_router_gets_everything_added_profiles_first() {
    let mut desired = two_subscribers();
    desired.ppp_profiles[1] = provisioning::PppProfile {
        remote_address: Some("pool-20M".into()),
        only_one: Some(true),
        ..ppp_profile("setu-20M", "10M/20M 20M/40M 8M/16M 16/16 8 2M/5M")
    };
    desired.secrets[1].remote_address = Some("10.20.0.12".parse().unwrap());
    desired.hotspot_profiles = vec![hotspot_profile("hs-1d", "2M/2M")];
    desired.hotspot_users = vec![provisioning::HotspotUser {
        limit_uptime: Some("1d".into()),
        ..hotspot_user(7, "voucher-7", "hs-1d")
    }];
    desired.queues = vec![queue(3, "cust-carol", "10.20.0.13/32", "5M", "10M")];
    desired.address_lists = vec![listed(4, "suspended", "10.20.0.14")];
    let observed = router("/ppp/profile *0 name=default");
    assert_snapshot!(check(&desired, &observed), @r#"
    add    /ppp/profile               setu-10M  rate-limit=5M/10M comment=setu
    add    /ppp/profile               setu-20M  rate-limit="10M/20M 20M/40M 8M/16M 16/16 8 2M/5M" remote-address=pool-20M only-one=yes comment=setu
    add    /ip/hotspot/user/profile   hs-1d  rate-limit=2M/2M comment=setu
    add    /ppp/secret                alice  password=*** profile=setu-10M service=pppoe comment=setu:sub=1
    add    /ppp/secret                bob  password=*** profile=setu-20M service=pppoe remote-address=10.20.0.12 comment=setu:sub=2
    add    /ip/hotspot/user           voucher-7  password=*** profile=hs-1d limit-uptime=1d comment=setu:sub=7
    add    /queue/simple              cust-carol  target=10.20.0.13/32 max-limit=5M/10M comment=setu:sub=3
    add    /ip/firewall/address-list  suspended:10.20.0.14  list=suspended address=10.20.0.14 comment=setu:sub=4
    "#);
}

#[test]
fn router_in_sync_needs_nothing_whatever_its_echo() {
    assert_snapshot!(check(&two_subscribers(), &router(TWO_SUBSCRIBERS_ROUTER)), @"no changes");
}

#[test]
fn applying_a_plan_leaves_nothing_to_do() {
    let desired = two_subscribers();
    let empty = Observed::default();
    let first = plan(&desired, &empty, &Policy::default()).unwrap();
    let second = plan(&desired, &apply(&first, &empty), &Policy::default()).unwrap();
    assert!(second.is_empty(), "{second}");
}

#[test]
fn suspension_by_disabling_kicks_the_session() {
    let mut desired = two_subscribers();
    desired.secrets[0].suspended = true;
    assert_snapshot!(check(&desired, &router(TWO_SUBSCRIBERS_ROUTER)), @r#"
    set    /ppp/secret  *1A alice  disabled=yes
    kick   /ppp/active  *80000001 alice  (suspended)
    "#);
}

#[test]
fn suspension_into_the_walled_garden_kicks_the_session() {
    let mut desired = two_subscribers_with_walled_garden();
    desired.secrets[0].suspended = true;
    let observed = two_subscribers_router_and(
        "/ppp/profile *3 name=setu-walled rate-limit=256k/256k comment=setu",
    );
    assert_snapshot!(render(&desired, &observed, &walled_garden()), @r#"
    set    /ppp/secret  *1A alice  profile=setu-walled
    kick   /ppp/active  *80000001 alice  (suspended)
    "#);
}

#[test]
fn reconnecting_from_disabled_needs_no_kick() {
    let observed = router(&TWO_SUBSCRIBERS_ROUTER.replace("disabled=false", "disabled=true"));
    assert_snapshot!(check(&two_subscribers(), &observed), @"set    /ppp/secret  *1A alice  disabled=no");
}

#[test]
fn reconnecting_from_the_walled_garden_kicks_to_restore_the_plan() {
    let observed = router(&format!(
        "{}\n/ppp/profile *3 name=setu-walled rate-limit=256k/256k comment=setu",
        TWO_SUBSCRIBERS_ROUTER.replace("profile=setu-10M", "profile=setu-walled")
    ));
    assert_snapshot!(render(&two_subscribers_with_walled_garden(), &observed, &walled_garden()), @r#"
    set    /ppp/secret  *1A alice  profile=setu-10M
    kick   /ppp/active  *80000001 alice  (profile changed)
    "#);
}

#[test]
fn password_change_kicks_the_session() {
    let mut desired = two_subscribers();
    desired.secrets[1].password = "new-secret".into();
    assert_snapshot!(check(&desired, &router(TWO_SUBSCRIBERS_ROUTER)), @r#"
    set    /ppp/secret  *1B bob  password=***
    kick   /ppp/active  *80000002 bob  (password changed)
    "#);
}

#[test]
fn rename_is_a_set_and_kicks_the_old_name() {
    let mut desired = two_subscribers();
    desired.secrets[0].name = "alice.rahman".into();
    assert_snapshot!(check(&desired, &router(TWO_SUBSCRIBERS_ROUTER)), @r#"
    set    /ppp/secret  *1A alice  name=alice.rahman
    kick   /ppp/active  *80000001 alice  (renamed)
    "#);
}

#[test]
fn plan_change_moves_the_profile_and_kicks() {
    let mut desired = two_subscribers();
    desired.secrets[0].profile = "setu-20M".into();
    desired.ppp_profiles[1].rate_limit = Some(limit("12M/25M"));
    assert_snapshot!(check(&desired, &router(TWO_SUBSCRIBERS_ROUTER)), @r#"
    set    /ppp/profile  *2 setu-20M  rate-limit=12M/25M
    set    /ppp/secret   *1A alice  profile=setu-20M
    kick   /ppp/active   *80000001 alice  (profile changed)
    "#);
}

#[test]
fn deletion_removes_the_secret_and_kicks() {
    let mut desired = two_subscribers();
    desired.secrets.remove(1);
    assert_snapshot!(check(&desired, &router(TWO_SUBSCRIBERS_ROUTER)), @r#"
    remove /ppp/secret  *1B bob  (no longer desired)
    kick   /ppp/active  *80000002 bob  (removed)
    "#);
}

#[test]
fn unmanaged_entry_with_a_desired_name_is_a_conflict_left_alone() {
    let mut desired = two_subscribers();
    desired.secrets.push(secret(3, "carol", "setu-10M"));
    let observed = two_subscribers_router_and(
        r#"
        /ppp/secret *5 name=carol password=old profile=default comment="cust#42"
        /ppp/secret *6 name=dave password=d profile=default
        /ppp/active *80000005 name=carol
        "#,
    );
    assert_snapshot!(check(&desired, &observed), @r#"
    no changes
    note: conflict: /ppp/secret "carol" exists without the setu marker; left alone (adopt_matching_names would take it over)
    note: /ppp/secret: 2 entries without the setu marker left alone
    "#);
}

#[test]
fn adopt_matching_names_takes_the_entry_over() {
    let mut desired = two_subscribers();
    desired.secrets.push(secret(3, "carol", "setu-10M"));
    let observed = two_subscribers_router_and(
        r#"
        /ppp/secret *5 name=carol password=old profile=default comment="cust#42"
        /ppp/secret *6 name=dave password=d profile=default
        /ppp/active *80000005 name=carol
        "#,
    );
    let policy = Policy {
        adopt_matching_names: true,
        ..Policy::default()
    };
    assert_snapshot!(render(&desired, &observed, &policy), @r#"
    set    /ppp/secret  *5 carol  password=*** profile=setu-10M service=pppoe comment=setu:sub=3  (adopted)
    kick   /ppp/active  *80000005 carol  (password changed)
    note: /ppp/secret: 1 entry without the setu marker left alone
    "#);
}

#[test]
fn duplicate_managed_entries_keep_the_lowest_id() {
    let observed = two_subscribers_router_and(
        r#"
        /ppp/secret *2C name=alice-old password=pw-alice profile=setu-10M comment=setu:sub=1
        /ppp/secret *2D name=stray password=x comment=setu
        /ppp/active *80000003 name=alice-old
        "#,
    );
    assert_snapshot!(check(&two_subscribers(), &observed), @r#"
    remove /ppp/secret  *2C alice-old  (duplicate)
    remove /ppp/secret  *2D stray  (no longer desired)
    kick   /ppp/active  *80000003 alice-old  (removed)
    "#);
}

#[test]
fn profiles_are_removed_last_and_only_when_unused() {
    let mut desired = two_subscribers();
    desired.ppp_profiles.remove(0);
    desired.secrets[0].profile = "setu-20M".into();
    let observed = two_subscribers_router_and(
        r#"
        /ppp/profile *4 name=setu-old rate-limit=1M/1M comment=setu
        /ppp/secret *7 name=legacy password=l profile=setu-old
        "#,
    );
    assert_snapshot!(check(&desired, &observed), @r#"
    set    /ppp/secret   *1A alice  profile=setu-20M
    kick   /ppp/active   *80000001 alice  (profile changed)
    remove /ppp/profile  *1 setu-10M  (no longer desired)
    note: /ppp/secret: 1 entry without the setu marker left alone
    note: /ppp/profile "setu-old" is no longer desired but still in use; kept
    "#);
}

#[test]
fn swapped_names_go_through_a_temporary_name() {
    let mut desired = two_subscribers();
    desired.secrets[0].name = "bob".into();
    desired.secrets[1].name = "alice".into();
    let plan_text = check(&desired, &router(TWO_SUBSCRIBERS_ROUTER));
    assert_snapshot!(plan_text, @r#"
    set    /ppp/secret  *1A alice  name=alice~setu-swap  (frees the name for a swap)
    set    /ppp/secret  *1B bob  name=alice
    set    /ppp/secret  *1A alice  name=bob
    kick   /ppp/active  *80000001 alice  (renamed)
    kick   /ppp/active  *80000002 bob  (renamed)
    "#);
}

#[test]
fn hotspot_queue_and_address_list_entries() {
    let desired = Desired {
        hotspot_profiles: vec![
            hotspot_profile("hs-5M", "5M/5M"),
            hotspot_profile("hs-walled", "128k"),
        ],
        hotspot_users: vec![
            provisioning::HotspotUser {
                suspended: true,
                ..hotspot_user(10, "hs-ana", "hs-5M")
            },
            provisioning::HotspotUser {
                mac_address: Some("aa:bb:cc:dd:ee:01".into()),
                password: String::new(),
                ..hotspot_user(11, "hs-babu", "hs-5M")
            },
        ],
        queues: vec![
            queue(20, "cust-chitra", "10.30.0.5", "5M", "10M"),
            provisioning::SimpleQueue {
                suspended: true,
                ..queue(21, "cust-dipu", "10.30.0.6/32", "2M", "4M")
            },
        ],
        address_lists: vec![listed(21, "suspended", "10.30.0.6")],
        ..Default::default()
    };
    let observed = router(
        r#"
        /ip/hotspot/user/profile *0 name=default
        /ip/hotspot/user/profile *1 name=hs-5M rate-limit=5M/5M comment=setu
        /ip/hotspot/user/profile *2 name=hs-walled rate-limit=128k/128k comment=setu
        /ip/hotspot/user *1 name=hs-ana password=pw-hs-ana profile=hs-5M comment=setu:sub=10
        /ip/hotspot/user *2 name=hs-babu password="" profile=hs-5M mac-address=AA:BB:CC:DD:EE:01 comment=setu:sub=11
        /ip/hotspot/active *9 user=hs-ana address=10.5.50.2
        /queue/simple *1 name=cust-chitra target=10.30.0.5/32 max-limit=5000000/10000000 comment=setu:sub=20
        /queue/simple *2 name=cust-dipu target=10.30.0.6/32 max-limit=2M/4M disabled=false comment=setu:sub=21
        /ip/firewall/address-list *3 list=suspended address=10.30.0.9 comment=setu:sub=22
        "#,
    );
    assert_snapshot!(render(&desired, &observed, &walled_garden()), @r#"
    remove /ip/firewall/address-list  *3 suspended:10.30.0.9  (no longer desired)
    set    /ip/hotspot/user           *1 hs-ana  profile=hs-walled
    add    /ip/firewall/address-list  suspended:10.30.0.6  list=suspended address=10.30.0.6 comment=setu:sub=21
    kick   /ip/hotspot/active         *9 hs-ana  (suspended)
    "#);
}

#[test]
fn a_rename_waits_for_a_name_that_cannot_be_freed() {
    // bob's entry should become carol, but an unmanaged carol exists; so alice cannot take "bob".
    let mut desired = two_subscribers();
    desired.secrets[0].name = "bob".into();
    desired.secrets[1].name = "carol".into();
    let observed = two_subscribers_router_and("/ppp/secret *5 name=carol password=c");
    assert_snapshot!(check(&desired, &observed), @r#"
    no changes
    note: conflict: /ppp/secret "bob" is held by another managed entry that cannot change this run; left as is
    note: conflict: /ppp/secret "carol" exists without the setu marker; left alone (adopt_matching_names would take it over)
    note: /ppp/secret: 1 entry without the setu marker left alone
    "#);
}

#[test]
fn an_operation_summarises_on_one_line() {
    let mut desired = two_subscribers();
    desired.secrets[0].password = "new".into();
    let plan = plan(
        &desired,
        &router(TWO_SUBSCRIBERS_ROUTER),
        &Policy::default(),
    )
    .unwrap();
    let summaries: Vec<String> = plan.ops.iter().map(|op| op.summary()).collect();
    assert_eq!(
        summaries,
        [
            "set    /ppp/secret  *1A alice  password=***",
            "kick   /ppp/active  *80000001 alice  (password changed)"
        ]
    );
    assert_eq!(
        plan.counts().to_string(),
        "0 to add, 1 to set, 0 to remove, 1 to kick"
    );
}

#[test]
fn apply_gives_new_rows_fresh_ids() {
    let observed = router("/ppp/profile *F0000001 name=default");
    let plan = plan(&two_subscribers(), &observed, &Policy::default()).unwrap();
    let after = apply(&plan, &observed);
    let ids: Vec<&str> = after
        .rows
        .values()
        .flatten()
        .map(|row| row.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "*F0000001",
            "*F0000002",
            "*F0000003",
            "*F0000004",
            "*F0000005"
        ]
    );
}
