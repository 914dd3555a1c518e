//! Login per version profile, fatals before login, `/quit`.

use protocol::routeros::login::challenge_response;

use crate::support::{attr, s, sim, Client};

#[tokio::test]
async fn plaintext_login_on_v7_then_commands_work() {
    let sim = sim("7.18.2").await;
    let mut c = Client::connect(sim.addr()).await;
    assert_eq!(
        c.call(&["/login", "=name=admin", "=password="]).await,
        vec![s(&["!done"])]
    );
    assert_eq!(
        c.call(&["/system/identity/print"]).await,
        vec![s(&["!re", "=name=MikroTik"]), s(&["!done"])]
    );
    let log = sim.rows("/log");
    assert_eq!(
        log[0]["message"],
        "user admin logged in from 127.0.0.1 via api"
    );
    assert_eq!(log[0]["topics"], "system,info,account");
}

#[tokio::test]
async fn wrong_password_traps_and_leaves_the_session_logged_out() {
    let sim = sim("7.18.2").await;
    let mut c = Client::connect(sim.addr()).await;
    assert_eq!(
        c.call(&["/login", "=name=admin", "=password=nope"]).await,
        vec![
            s(&["!trap", "=message=invalid user name or password (6)"]),
            s(&["!done"])
        ]
    );
    assert_eq!(
        c.call(&["/ppp/secret/print"]).await,
        vec![s(&["!fatal", "not logged in"])]
    );
    c.expect_closed().await;
    assert!(sim
        .rows("/log")
        .iter()
        .any(|r| r["message"] == "login failure for user admin from 127.0.0.1 via api"));
}

#[tokio::test]
async fn v7_name_without_password_returns_a_challenge_but_does_not_log_in() {
    let sim = sim("7.18.2").await;
    let mut c = Client::connect(sim.addr()).await;
    let r = c.call(&["/login", "=name=admin"]).await;
    assert_eq!(r.len(), 1);
    let ret = attr(&r[0], "ret").expect("=ret=");
    assert_eq!(ret.len(), 32);
    assert!(ret.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        c.call(&["/system/resource/print"]).await,
        vec![s(&["!fatal", "not logged in"])]
    );
    c.expect_closed().await;
}

#[tokio::test]
async fn v7_refuses_the_md5_method() {
    let sim = sim("6.45.1").await;
    let mut c = Client::connect(sim.addr()).await;
    let challenge = attr(&c.call(&["/login"]).await[0], "ret")
        .unwrap()
        .to_owned();
    let response = challenge_response(b"", challenge.as_bytes()).unwrap();
    assert_eq!(
        c.call(&["/login", "=name=admin", &format!("=response={response}")])
            .await,
        vec![
            s(&["!trap", "=message=invalid user name or password (6)"]),
            s(&["!done"])
        ]
    );
}

#[tokio::test]
async fn pre_643_uses_the_md5_challenge_and_ignores_plaintext() {
    // The manual's vector, recomputed by librouteros and go-routeros (reference §1.7).
    assert_eq!(
        challenge_response(b"", b"93b438ec9b80057c06dd9fe67d56aa9a").unwrap(),
        "00e134102a9d330dd7b1849fedfea3cb57"
    );
    let sim = sim("6.42").await;
    let mut c = Client::connect(sim.addr()).await;
    // A plaintext attempt is answered with a challenge, as old routers do.
    let r = c.call(&["/login", "=name=admin", "=password="]).await;
    assert_eq!(r[0][0], "!done");
    let challenge = attr(&r[0], "ret").unwrap().to_owned();
    let response = challenge_response(b"", challenge.as_bytes()).unwrap();
    assert_eq!(
        c.call(&["/login", "=name=admin", &format!("=response={response}")])
            .await,
        vec![s(&["!done"])]
    );
    assert_eq!(c.call(&["/system/identity/print"]).await.len(), 2);
}

#[tokio::test]
async fn pre_643_wrong_response_cannot_log_in() {
    let sim = sim("6.42").await;
    let mut c = Client::connect(sim.addr()).await;
    c.call(&["/login"]).await;
    assert_eq!(
        c.call(&[
            "/login",
            "=name=admin",
            "=response=00aabbccddeeff00112233445566778899"
        ])
        .await,
        vec![s(&["!trap", "=message=cannot log in"]), s(&["!done"])]
    );
}

#[tokio::test]
async fn versions_643_to_6450_accept_both_methods() {
    let sim = sim("6.44").await;
    let mut plain = Client::connect(sim.addr()).await;
    assert_eq!(
        plain.call(&["/login", "=name=admin", "=password="]).await,
        vec![s(&["!done"])]
    );
    let mut md5 = Client::connect(sim.addr()).await;
    let challenge = attr(&md5.call(&["/login"]).await[0], "ret")
        .unwrap()
        .to_owned();
    let response = challenge_response(b"", challenge.as_bytes()).unwrap();
    assert_eq!(
        md5.call(&["/login", "=name=admin", &format!("=response={response}")])
            .await,
        vec![s(&["!done"])]
    );
}

#[tokio::test]
async fn commands_before_login_are_fatal() {
    let sim = sim("7.18.2").await;
    let mut c = Client::connect(sim.addr()).await;
    c.send(&["/ppp/secret/print", ".tag=1"]).await;
    // `!fatal` is never tagged.
    assert_eq!(c.recv().await, s(&["!fatal", "not logged in"]));
    c.expect_closed().await;
}

#[tokio::test]
async fn quit_ends_the_session() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    assert_eq!(
        c.call(&["/quit"]).await,
        vec![s(&["!fatal", "session terminated on request"])]
    );
    c.expect_closed().await;
}

#[tokio::test]
async fn login_replies_carry_the_tag() {
    let sim = sim("7.18.2").await;
    let mut c = Client::connect(sim.addr()).await;
    assert_eq!(
        c.call(&["/login", "=name=admin", "=password=", ".tag=l1"])
            .await,
        vec![s(&["!done", ".tag=l1"])]
    );
    let mut bad = Client::connect(sim.addr()).await;
    assert_eq!(
        bad.call(&["/login", "=name=admin", "=password=x", ".tag=7"])
            .await,
        vec![
            s(&[
                "!trap",
                ".tag=7",
                "=message=invalid user name or password (6)"
            ]),
            s(&["!done", ".tag=7"])
        ]
    );
}
