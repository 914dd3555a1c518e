use crate::fake_router::{self, sentence_bytes};
use edge_agent::routeros::{Client, ConnectOptions, LoginMethod, RouterError, TrapKind};
use protocol::routeros::login::challenge_response;
use protocol::routeros::{Command, Limits, Reply};
use std::time::Duration;

fn options(addr: std::net::SocketAddr) -> ConnectOptions {
    let mut o = ConnectOptions::new(addr.to_string(), "setu", "s3cret");
    o.command_timeout = Duration::from_secs(5);
    o
}

#[tokio::test]
async fn plain_login_and_capability_probe() {
    let (addr, script) = fake_router::start(|mut r| async move {
        let login = r.expect("/login").await;
        assert_eq!(login.attr("name"), Some(&b"setu"[..]));
        assert_eq!(login.attr("password"), Some(&b"s3cret"[..]));
        r.answer(&login, vec![Reply::done()]).await;
        r.probe("7.18.2 (stable)", true).await;
    })
    .await;
    let client = Client::connect(options(addr)).await.unwrap();
    let caps = client.capabilities();
    assert_eq!(caps.version, "7.18.2 (stable)");
    assert_eq!(caps.board, "CCR2004-16G-2S+");
    assert_eq!(caps.identity, "pop-mirpur");
    assert!(caps.sends_empty);
    assert!(!caps.tls);
    assert_eq!(caps.login, LoginMethod::Plain);
    script.await.unwrap();
}

#[tokio::test]
async fn routers_before_6_43_get_the_md5_challenge_login() {
    let challenge = "93b438ec9b80057c06dd9fe67d56aa9a";
    let (addr, script) = fake_router::start(move |mut r| async move {
        let first = r.expect("/login").await;
        r.answer(&first, vec![Reply::done().attr("ret", challenge)])
            .await;
        let second = r.expect("/login").await;
        let expected = challenge_response(b"s3cret", challenge.as_bytes()).unwrap();
        assert_eq!(second.attr("response"), Some(expected.as_bytes()));
        assert_eq!(second.attr("name"), Some(&b"setu"[..]));
        r.answer(&second, vec![Reply::done()]).await;
        r.probe("6.42.12 (long-term)", false).await;
    })
    .await;
    let client = Client::connect(options(addr)).await.unwrap();
    assert_eq!(client.capabilities().login, LoginMethod::Challenge);
    assert!(!client.capabilities().sends_empty);
    script.await.unwrap();
}

#[tokio::test]
async fn wrong_credentials_give_the_routers_text() {
    let (addr, _script) = fake_router::start(|mut r| async move {
        let login = r.expect("/login").await;
        r.answer(
            &login,
            vec![
                Reply::trap("invalid user name or password (6)", None),
                Reply::done(),
            ],
        )
        .await;
        let _ = r.read().await;
    })
    .await;
    let err = Client::connect(options(addr)).await.err().unwrap();
    match err {
        RouterError::LoginFailed(text) => assert_eq!(text, "invalid user name or password (6)"),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn concurrent_commands_are_demultiplexed_by_tag_whatever_the_reply_order() {
    let (addr, script) = fake_router::start(|mut r| async move {
        r.login_and_probe("7.16", false).await;
        let a = r.expect("/ppp/secret/print").await;
        let b = r.expect("/ppp/profile/print").await;
        // Answer the second command first, interleaving rows; tags sit in different positions.
        r.answer(&b, vec![Reply::re().attr("name", "setu-10M")])
            .await;
        r.send_raw(&sentence_bytes(&[
            b"!re",
            b"=name=alice",
            format!(".tag={}", String::from_utf8_lossy(a.tag.as_ref().unwrap())).as_bytes(),
        ]))
        .await;
        r.answer(&b, vec![Reply::done()]).await;
        r.answer(&a, vec![Reply::re().attr("name", "bob"), Reply::done()])
            .await;
    })
    .await;
    let client = Client::connect(options(addr)).await.unwrap();
    let secrets = Command::new("/ppp/secret/print");
    let profiles = Command::new("/ppp/profile/print");
    let (s, p) = tokio::join!(client.run(&secrets), client.run(&profiles));
    let names = |r: edge_agent::routeros::Response| {
        r.items
            .iter()
            .map(|i| i.get_text("name").unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(s.unwrap()), ["alice", "bob"]);
    assert_eq!(names(p.unwrap()), ["setu-10M"]);
    script.await.unwrap();
}

#[tokio::test]
async fn traps_are_typed_and_the_connection_stays_usable() {
    let (addr, script) = fake_router::start(|mut r| async move {
        r.login_and_probe("7.18.2", true).await;
        let add = r.expect("/ppp/secret/add").await;
        r.answer(
            &add,
            vec![
                Reply::trap("failure: secret with the same name already exists", None),
                Reply::done(),
            ],
        )
        .await;
        let set = r.expect("/ppp/secret/set").await;
        r.answer(
            &set,
            vec![Reply::trap("no such item", Some(0)), Reply::done()],
        )
        .await;
        let print = r.expect("/ppp/active/print").await;
        r.answer(&print, vec![Reply::empty(), Reply::done()]).await;
        let add = r.expect("/ppp/secret/add").await;
        r.answer(&add, vec![Reply::done().attr("ret", "*1F")]).await;
    })
    .await;
    let client = Client::connect(options(addr)).await.unwrap();
    let err = client
        .run(&Command::new("/ppp/secret/add").attr("name", "alice"))
        .await
        .unwrap_err();
    assert_eq!(err.trap_kind(), Some(TrapKind::AlreadyExists));
    assert_eq!(
        err.to_string(),
        "/ppp/secret/add: failure: secret with the same name already exists"
    );
    let err = client
        .run(&Command::new("/ppp/secret/set").attr(".id", "*99"))
        .await
        .unwrap_err();
    assert_eq!(err.trap_kind(), Some(TrapKind::NoSuchItem));
    let empty = client
        .run(&Command::new("/ppp/active/print"))
        .await
        .unwrap();
    assert!(empty.empty && empty.items.is_empty());
    let added = client
        .run(&Command::new("/ppp/secret/add").attr("name", "bob"))
        .await
        .unwrap();
    assert_eq!(added.ret(), Some(&b"*1F"[..]));
    script.await.unwrap();
}

#[tokio::test]
async fn a_router_that_hangs_mid_reply_times_out_and_the_command_is_cancelled() {
    let (addr, script) = fake_router::start(|mut r| async move {
        r.login_and_probe("7.18.2", true).await;
        let print = r.expect("/log/print").await;
        r.answer(&print, vec![Reply::re().attr("message", "first line")])
            .await;
        // ...and then nothing, until the client cancels.
        let cancel = r.expect("/cancel").await;
        assert_eq!(cancel.attr("tag"), print.tag.as_deref());
        r.answer(&print, vec![Reply::trap("interrupted", Some(2))])
            .await;
        r.answer(&cancel, vec![Reply::done()]).await;
        r.answer(&print, vec![Reply::done()]).await;
        let next = r.expect("/system/identity/print").await;
        r.answer(
            &next,
            vec![Reply::re().attr("name", "still-here"), Reply::done()],
        )
        .await;
    })
    .await;
    let mut o = options(addr);
    o.command_timeout = Duration::from_millis(300);
    let client = Client::connect(o).await.unwrap();
    let err = client.run(&Command::new("/log/print")).await.unwrap_err();
    assert!(matches!(err, RouterError::Timeout { .. }), "{err:?}");
    let after = client
        .run(&Command::new("/system/identity/print"))
        .await
        .unwrap();
    assert_eq!(after.items[0].get_text("name").unwrap(), "still-here");
    assert_eq!(
        client.unexpected_replies(),
        0,
        "replies of the cancelled command are absorbed"
    );
    script.await.unwrap();
}

#[tokio::test]
async fn dropping_a_stream_cancels_the_command_on_the_router() {
    let (addr, script) = fake_router::start(|mut r| async move {
        r.login_and_probe("7.18.2", true).await;
        let listen = r.expect("/ppp/active/listen").await;
        r.answer(&listen, vec![Reply::re().attr("name", "alice")])
            .await;
        let cancel = r.expect("/cancel").await;
        assert_eq!(cancel.attr("tag"), listen.tag.as_deref());
    })
    .await;
    let client = Client::connect(options(addr)).await.unwrap();
    let mut stream = client
        .stream(&Command::new("/ppp/active/listen"))
        .await
        .unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.get_text("name").unwrap(), "alice");
    drop(stream);
    script.await.unwrap();
}

#[tokio::test]
async fn hostile_bytes_close_the_connection_with_a_clear_error() {
    for (name, garbage) in [
        ("control byte", vec![0xF8]),
        ("length beyond 32 bits", vec![0xF3, 0, 0, 0, 0]),
        ("word over the limit", vec![0xC0, 0x80, 0x00]),
        ("not a reply word", sentence_bytes(&[b"hello"])),
    ] {
        let (addr, _script) = fake_router::start(move |mut r| async move {
            r.login_and_probe("7.18.2", true).await;
            let _ = r.expect("/ppp/secret/print").await;
            r.send_raw(&garbage).await;
            let _ = r.read().await;
        })
        .await;
        let mut o = options(addr);
        o.limits = Limits {
            max_word_len: 16 * 1024,
            ..Limits::default()
        };
        let client = Client::connect(o).await.unwrap();
        let err = client
            .run(&Command::new("/ppp/secret/print"))
            .await
            .unwrap_err();
        assert!(err.is_connection_lost(), "{name}: {err:?}");
        assert!(client.is_closed(), "{name}");
        let again = client
            .run(&Command::new("/ppp/secret/print"))
            .await
            .unwrap_err();
        assert!(
            again.is_connection_lost(),
            "{name}: later commands fail fast"
        );
    }
}

#[tokio::test]
async fn fatal_ends_every_running_command_with_the_reason() {
    let (addr, _script) = fake_router::start(|mut r| async move {
        r.login_and_probe("7.18.2", true).await;
        let _ = r.expect("/ppp/secret/print").await;
        r.send(Reply::fatal("session terminated on request")).await;
    })
    .await;
    let client = Client::connect(options(addr)).await.unwrap();
    let err = client
        .run(&Command::new("/ppp/secret/print"))
        .await
        .unwrap_err();
    match err {
        RouterError::Fatal(reason) => assert_eq!(reason, "session terminated on request"),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn replies_beyond_the_row_limit_are_refused() {
    let (addr, _script) = fake_router::start(|mut r| async move {
        r.login_and_probe("7.18.2", true).await;
        let print = r.expect("/ppp/secret/print").await;
        for i in 0..50 {
            r.answer(&print, vec![Reply::re().attr("name", format!("u{i}"))])
                .await;
        }
        let _ = r.read().await;
    })
    .await;
    let mut o = options(addr);
    o.max_rows = 10;
    let client = Client::connect(o).await.unwrap();
    let err = client
        .run(&Command::new("/ppp/secret/print"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RouterError::TooManyRows { limit: 10, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn pipelined_commands_keep_their_order_and_results() {
    let (addr, script) = fake_router::start(|mut r| async move {
        r.login_and_probe("7.18.2", true).await;
        let mut reqs = Vec::new();
        for _ in 0..20 {
            reqs.push(r.expect("/ppp/secret/add").await);
        }
        // Reverse order: results must still line up with the commands.
        for (i, req) in reqs.iter().enumerate().rev() {
            let reply = if i == 7 {
                vec![
                    Reply::trap("failure: secret with the same name already exists", None),
                    Reply::done(),
                ]
            } else {
                vec![Reply::done().attr("ret", format!("*{i:X}"))]
            };
            r.answer(req, reply).await;
        }
    })
    .await;
    let client = Client::connect(options(addr)).await.unwrap();
    let commands: Vec<_> = (0..20)
        .map(|i| Command::new("/ppp/secret/add").attr("name", format!("u{i}")))
        .collect();
    let results = client.run_pipelined(commands, 32).await;
    for (i, result) in results.into_iter().enumerate() {
        if i == 7 {
            assert_eq!(
                result.unwrap_err().trap_kind(),
                Some(TrapKind::AlreadyExists)
            );
        } else {
            assert_eq!(result.unwrap().ret().unwrap(), format!("*{i:X}").as_bytes());
        }
    }
    script.await.unwrap();
}

#[tokio::test]
async fn connecting_to_nothing_fails_with_the_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = Client::connect(options(addr)).await.err().unwrap();
    assert!(matches!(err, RouterError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains(&addr.to_string()));
}
