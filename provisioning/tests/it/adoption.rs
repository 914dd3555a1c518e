//! Shadow mode: what adopting a router would take over, create, remove and leave alone.

use insta::assert_snapshot;
use provisioning::adopt;

use crate::fixture::*;

#[test]
fn the_report_sorts_every_entry() {
    let mut desired = two_subscribers();
    desired.secrets.push(secret(3, "carol", "setu-10M"));
    desired.address_lists = vec![listed(3, "suspended", "10.20.0.13")];
    let observed = router(
        r#"
        /ppp/profile *0 name=default
        /ppp/profile *1 name=setu-10M rate-limit=5M/10M
        /ppp/secret *1A name=alice password=a profile=default comment="cust#1"
        /ppp/secret *1B name=bob password=b profile=setu-10M comment=setu:sub=2
        /ppp/secret *1C name=gone password=g comment=setu:sub=99
        /ppp/secret *1D name=zed password=z comment="not ours"
        /ppp/active *80000001 name=alice
        /ip/firewall/address-list *5 list=suspended address=10.20.0.13/32
        "#,
    );
    let report = adopt(&desired, &observed);
    assert_eq!(report.already_managed, 2);
    assert_eq!(
        report.would_take_over,
        [
            "/ppp/profile setu-10M",
            "/ppp/secret alice",
            "/ip/firewall/address-list suspended:10.20.0.13"
        ]
    );
    assert_snapshot!(report.to_string(), @r#"
    shadow mode, nothing changed; 2 entries already managed
    would take over: 3
      /ppp/profile setu-10M
      /ppp/secret alice
      /ip/firewall/address-list suspended:10.20.0.13
    would create: 2
      /ppp/profile setu-20M
      /ppp/secret carol
    would remove: 1
      /ppp/secret gone
    left alone: 2
      /ppp/profile default
      /ppp/secret zed
    "#);
}
