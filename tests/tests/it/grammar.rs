//! Reply grammar: tags, pipelining, fragmentation, `!empty`, `count-only`, `.proplist`,
//! queries, error texts of routing.

use protocol::routeros::Sentence;
use tests::routeros_sim::{start, SimConfig, TagPosition};

use crate::support::{ret, s, sim, Client};

async fn add_secrets(c: &mut Client) {
    for (name, service) in [("a", "pppoe"), ("b", "l2tp"), ("c", "any")] {
        let r = c
            .call(&[
                "/ppp/secret/add",
                &format!("=name={name}"),
                &format!("=service={service}"),
            ])
            .await;
        assert_eq!(r.len(), 1, "{r:?}");
    }
}

#[tokio::test]
async fn tag_goes_second_by_default_and_last_on_request() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    assert_eq!(
        c.call(&["/system/identity/print", ".tag=x1"]).await,
        vec![
            s(&["!re", ".tag=x1", "=name=MikroTik"]),
            s(&["!done", ".tag=x1"])
        ]
    );
    assert_eq!(
        c.call(&["/ppp/secret/remove", "=.id=*99", ".tag=x2"]).await,
        vec![
            s(&["!trap", ".tag=x2", "=message=no such item"]),
            s(&["!done", ".tag=x2"])
        ]
    );
    // Untagged commands get untagged replies.
    assert_eq!(
        c.call(&["/system/identity/print"]).await,
        vec![s(&["!re", "=name=MikroTik"]), s(&["!done"])]
    );

    let last = start(SimConfig {
        tag_position: TagPosition::Last,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut c = Client::logged_in(last.addr()).await;
    assert_eq!(
        c.call(&["/system/identity/print", ".tag=x1"]).await,
        vec![
            s(&["!re", "=name=MikroTik", ".tag=x1"]),
            s(&["!done", ".tag=x1"])
        ]
    );
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order_each_with_its_tag() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    let mut wire = Vec::new();
    for (i, name) in ["p1", "p2", "p1"].iter().enumerate() {
        Sentence::from_words([
            "/ppp/secret/add".to_owned(),
            format!("=name={name}"),
            format!(".tag={i}"),
        ])
        .encode_into(&mut wire);
    }
    Sentence::from_words(["/ppp/secret/print", "=count-only=", ".tag=3"]).encode_into(&mut wire);
    c.send_bytes(&wire).await;
    assert_eq!(c.recv().await, s(&["!done", ".tag=0", "=ret=*1"]));
    assert_eq!(c.recv().await, s(&["!done", ".tag=1", "=ret=*2"]));
    assert_eq!(
        c.recv().await,
        s(&[
            "!trap",
            ".tag=2",
            "=message=failure: secret with the same name already exists"
        ])
    );
    assert_eq!(c.recv().await, s(&["!done", ".tag=2"]));
    assert_eq!(c.recv().await, s(&["!done", ".tag=3", "=ret=2"]));
}

#[tokio::test]
async fn one_byte_fragments_and_empty_sentences_are_fine() {
    let sim = sim("7.18.2").await;
    let mut c = Client::connect(sim.addr()).await;
    let mut wire = vec![0u8, 0u8]; // empty sentences: ignored
    Sentence::from_words(["/login", "=name=admin", "=password="]).encode_into(&mut wire);
    wire.push(0);
    let comment = format!("=comment={}", "x".repeat(300)); // 2-byte length prefix
    Sentence::from_words(["/ppp/secret/add", "=name=frag", comment.as_str()])
        .encode_into(&mut wire);
    for b in wire {
        c.send_bytes(&[b]).await;
    }
    assert_eq!(c.recv().await, s(&["!done"]));
    assert_eq!(c.recv().await, s(&["!done", "=ret=*1"]));
    assert_eq!(sim.rows("/ppp/secret")[0]["comment"].len(), 300);
}

#[tokio::test]
async fn empty_reply_from_718_only() {
    let new = sim("7.18.2").await;
    let mut c = Client::logged_in(new.addr()).await;
    assert_eq!(
        c.call(&["/ppp/secret/print", "?name=nobody", ".tag=5"])
            .await,
        vec![s(&["!empty", ".tag=5"]), s(&["!done", ".tag=5"])]
    );
    assert_eq!(
        c.call(&["/ppp/active/print"]).await,
        vec![s(&["!empty"]), s(&["!done"])]
    );
    // count-only has data: the count.
    assert_eq!(
        c.call(&["/ppp/active/print", "=count-only="]).await,
        vec![s(&["!done", "=ret=0"])]
    );
    let old = sim("7.17").await;
    let mut c = Client::logged_in(old.addr()).await;
    assert_eq!(c.call(&["/ppp/active/print"]).await, vec![s(&["!done"])]);
}

#[tokio::test]
async fn count_only_and_proplist_with_bare_re() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    add_secrets(&mut c).await;
    assert_eq!(
        ret(&c
            .call(&["/ppp/secret/print", "=count-only=", "?service=l2tp"])
            .await),
        "1"
    );
    assert_eq!(
        c.call(&["/ppp/secret/print", "=.proplist=comment"]).await,
        vec![s(&["!re"]), s(&["!re"]), s(&["!re"]), s(&["!done"])]
    );
    assert_eq!(
        c.call(&["/ppp/secret/print", "=.proplist=.id,name", "?name=b"])
            .await,
        vec![s(&["!re", "=.id=*2", "=name=b"]), s(&["!done"])]
    );
    // `detail` is accepted and changes nothing over the API.
    assert_eq!(
        c.call(&[
            "/ppp/secret/print",
            "=detail=",
            "=.proplist=name",
            "?name=a"
        ])
        .await,
        vec![s(&["!re", "=name=a"]), s(&["!done"])]
    );
}

#[tokio::test]
async fn queries_follow_the_stack_rules() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    add_secrets(&mut c).await;
    let names = |replies: Vec<Vec<String>>| -> Vec<String> {
        replies
            .iter()
            .filter(|r| r[0] == "!re")
            .map(|r| r[1].trim_start_matches("=name=").to_owned())
            .collect()
    };
    let print = |q: &'static [&'static str]| {
        let mut words = vec!["/ppp/secret/print", "=.proplist=name"];
        words.extend_from_slice(q);
        words
    };
    assert_eq!(
        names(
            c.call(&print(&["?service=pppoe", "?service=l2tp", "?#|"]))
                .await
        ),
        ["a", "b"]
    );
    assert_eq!(
        names(
            c.call(&print(&["?service=pppoe", "?service=l2tp", "?#|!"]))
                .await
        ),
        ["c"]
    );
    // librouteros' `!=`.
    assert_eq!(
        names(c.call(&print(&["?=name=a", "?#!"])).await),
        ["b", "c"]
    );
    assert_eq!(names(c.call(&print(&["?>name=a"])).await), ["b", "c"]);
    assert_eq!(names(c.call(&print(&["?<.id=*3"])).await), ["a", "b"]);
    assert_eq!(
        names(c.call(&print(&["?-comment", "?name=c"])).await),
        ["c"]
    );
    assert_eq!(
        names(c.call(&print(&["?comment"])).await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn unknown_commands_menus_and_parameters() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    assert_eq!(
        c.call(&["/ip/hotspot/user-profile/print"]).await,
        vec![
            s(&["!trap", "=message=no such command prefix"]),
            s(&["!done"])
        ]
    );
    assert_eq!(
        c.call(&["/ppp/active/add", "=name=x"]).await,
        vec![
            s(&["!trap", "=message=no such command or directory (add)"]),
            s(&["!done"])
        ]
    );
    assert_eq!(
        c.call(&["/ppp/secret/add", "=name=x", "=colour=red"]).await,
        vec![
            s(&["!trap", "=message=unknown parameter colour"]),
            s(&["!done"])
        ]
    );
    // v6 does not name the parameter.
    let old = sim_old().await;
    let mut c = Client::logged_in(old.addr()).await;
    assert_eq!(
        c.call(&["/ppp/secret/add", "=name=x", "=colour=red"]).await,
        vec![s(&["!trap", "=message=unknown parameter"]), s(&["!done"])]
    );
}

async fn sim_old() -> tests::routeros_sim::SimHandle {
    sim("6.49.10").await
}

#[tokio::test]
async fn a_control_byte_from_the_client_closes_the_connection() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    c.send_bytes(&[0xF8, 0x01, 0x02]).await;
    c.expect_closed().await;
}
