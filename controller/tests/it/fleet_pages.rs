//! The fleet's pages and API without agents: POPs, routers, enrollment tokens, plans,
//! subscribers with their validation and desired-state versions, the session log and its export.

use crate::helpers::{company, spawn_app, Client};

#[tokio::test]
async fn staff_set_up_a_pop_router_plan_and_subscriber_from_the_pages() {
    let app = spawn_app().await;
    let padma = company(
        &app,
        "Padma",
        &[("owner1", "owner"), ("collector1", "collector")],
    )
    .await;
    let mut owner = Client::login_as(&app, "owner1").await;
    let page = owner.get("/fleet").await;
    assert_eq!(page.status, 200);
    let csrf = page.form_csrf();
    assert_eq!(
        owner
            .post_form("/pops", &[("csrf", &csrf), ("pop_name", "Mirpur POP")])
            .await
            .status,
        303
    );
    let r = owner
        .post_form("/pops", &[("csrf", &csrf), ("pop_name", "")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("aria-invalid=true"));
    let pops = owner.get("/api/v1/pops").await.json();
    let pop = pops["items"][0]["id"].as_i64().unwrap();
    let r = owner
        .post_form(
            "/routers",
            &[
                ("csrf", &csrf),
                ("pop_id", &pop.to_string()),
                ("name", "ccr-1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let router_path = r.header("location").unwrap().to_owned();
    let router_id: i64 = router_path.rsplit('/').next().unwrap().parse().unwrap();
    let page = owner.get(&router_path).await;
    assert!(page.body.contains("not enrolled"), "{}", page.body);
    // An enrollment token, shown once with the command to run.
    let r = owner
        .post_form(
            &format!("/routers/{router_id}/enrollment"),
            &[("csrf", &csrf)],
        )
        .await;
    assert!(
        r.body.contains("setu-agent enroll --controller"),
        "{}",
        r.body
    );
    assert!(!owner.get(&router_path).await.body.contains("--token enr_"));
    // Commands need an enrolled agent.
    let r = owner
        .json(
            "POST",
            &format!("/api/v1/routers/{router_id}/commands"),
            r#"{"action":"resync"}"#,
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);

    // Plans: rates and prices are checked; money is exact.
    let r = owner
        .post_form(
            "/plans",
            &[
                ("csrf", &csrf),
                ("name", "Home 10M"),
                ("download", "10M"),
                ("upload", "fast"),
                ("price", "800"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("10M or 512k"));
    let r = owner
        .post_form(
            "/plans",
            &[
                ("csrf", &csrf),
                ("name", "Home 10M"),
                ("download", "10M"),
                ("upload", "5M"),
                ("price", "৭৯৯.৫০"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let plans = owner.get("/api/v1/plans").await.json();
    assert_eq!(plans["items"][0]["price_poisha"], 79_950);
    assert!(owner.get("/plans").await.body.contains("৳799.50"));
    let plan = plans["items"][0]["id"].as_i64().unwrap();
    // A rate no router could mean is a typo.
    let r = owner
        .json(
            "POST",
            "/api/v1/plans",
            r#"{"name":"Typo","download":"9999999G","upload":"5M","price_poisha":100}"#,
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["fields"][0]["code"], "plans.rate_too_high");

    // Subscribers: every field checked at once; the password never leaves the server.
    let r = owner
        .post_form(
            "/subscribers",
            &[
                ("csrf", &csrf),
                ("name", ""),
                ("phone", "12345"),
                ("router_id", &router_id.to_string()),
                ("plan_id", &plan.to_string()),
                ("pppoe_username", "bad name"),
                ("pppoe_password", "pw"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body.matches("class=error").count(), 4, "{}", r.body);
    let desired_before = owner
        .get(&format!("/api/v1/routers/{router_id}"))
        .await
        .json()["desired_version"]
        .as_i64()
        .unwrap();
    let r = owner
        .post_form(
            "/subscribers",
            &[
                ("csrf", &csrf),
                ("name", "Rahim Uddin"),
                ("phone", "01712-345678"),
                ("router_id", &router_id.to_string()),
                ("plan_id", &plan.to_string()),
                ("pppoe_username", "rahim.mirpur"),
                ("pppoe_password", "k7Qm2vXa"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let subs = owner.get("/api/v1/subscribers").await.json();
    let sub = &subs["items"][0];
    assert_eq!(sub["phone"], "01712345678");
    assert!(sub.get("pppoe_password").is_none(), "{sub}");
    let id = sub["id"].as_i64().unwrap();
    let after_create = owner
        .get(&format!("/api/v1/routers/{router_id}"))
        .await
        .json()["desired_version"]
        .as_i64()
        .unwrap();
    assert_eq!(
        after_create,
        desired_before + 1,
        "a new subscriber bumps the router's version"
    );
    let page = owner.get("/subscribers").await;
    let r = owner
        .post_form(
            &format!("/subscribers/{id}/status"),
            &[("csrf", &page.form_csrf()), ("status", "suspended")],
        )
        .await;
    assert_eq!(r.status, 303);
    let sub = owner.get(&format!("/api/v1/subscribers/{id}")).await.json();
    assert_eq!(sub["status"], "suspended");
    let log = owner.get("/api/v1/audit?entity=subscriber").await.json();
    assert_eq!(log["items"][0]["action"], "subscriber.suspend");
    assert!(
        !log.to_string().contains("k7Qm2vXa"),
        "passwords stay out of the audit log"
    );
    // The desired state carries it (with the password, for the router).
    let mut work = app.read(padma.scope).await;
    let router =
        controller::fleet::store::router(&mut work, controller::kernel::ids::RouterId(router_id))
            .await
            .unwrap();
    let desired = controller::fleet::desired::build(work.db(), &router)
        .await
        .unwrap();
    assert_eq!(desired.version as i64, router.desired_version);
    assert_eq!(desired.secrets[0].password, "k7Qm2vXa");
    assert!(desired.secrets[0].suspended);
    assert_eq!(desired.ppp_profiles[0].name, format!("setu-plan-{plan}"));
    // A plan change reaches every router with a subscriber on it.
    let r = owner
        .json(
            "PUT",
            &format!("/api/v1/plans/{plan}"),
            r#"{"name":"Home 12M","download":"12M","upload":"6M","price_poisha":90000}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let after_plan = owner
        .get(&format!("/api/v1/routers/{router_id}"))
        .await
        .json()["desired_version"]
        .as_i64()
        .unwrap();
    assert!(after_plan > router.desired_version);

    // The collector sees subscribers but cannot change them, nor see routers.
    let mut collector = Client::login_as(&app, "collector1").await;
    let page = collector.get("/subscribers").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("action=/subscribers class=card"));
    assert_eq!(collector.get("/fleet").await.status, 403);
}

#[tokio::test]
async fn the_session_log_answers_who_had_an_address_and_exports_csv() {
    let app = spawn_app().await;
    let padma = company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut work = app.work(padma.scope).await;
    let router = crate::helpers::pop_with_router(&mut work, "POP", None, "r1").await;
    work.commit().await.unwrap();
    let at = |text: &str| controller::kernel::date::parse_dhaka_datetime(text).unwrap();
    for (user, address, start, end, seq) in [
        (
            "rahim",
            "10.20.0.15",
            "2026-11-25 20:00",
            Some("2026-11-25 21:00"),
            1,
        ),
        ("karim", "10.20.0.15", "2026-11-25 21:05", None, 2),
    ] {
        use controller::fleet::uplinks::{record, Effect, SessionRow};
        let mut db = app.store.conn().await.unwrap();
        record(
            &mut db,
            &router.agent_id,
            "0123456789abcdef0123456789abcdef",
            seq,
            "event",
            0,
            &Effect::SessionDown(SessionRow {
                company: padma.scope.company(),
                branch: None,
                router: router.id,
                subscriber: None,
                service: "pppoe".into(),
                username: user.into(),
                address: address.into(),
                caller_id: "=cmd|' /C calc'!A0".into(),
                router_session_id: format!("*{seq}"),
                started_at: at(start),
                ended_at: end.map(at),
                agent_started_at: Some(at(start)),
                agent_ended_at: end.map(at),
                bytes_in: None,
                bytes_out: None,
            }),
        )
        .await
        .unwrap();
    }
    let mut owner = Client::login_as(&app, "owner1").await;
    let who = owner
        .get("/api/v1/sessions?address=10.20.0.15&at=2026-11-25T20:30")
        .await
        .json();
    assert_eq!(who["items"].as_array().unwrap().len(), 1);
    assert_eq!(who["items"][0]["username"], "rahim");
    let who = owner
        .get("/api/v1/sessions?address=10.20.0.15&at=2026-11-25T22:00")
        .await
        .json();
    assert_eq!(who["items"][0]["username"], "karim");
    let bad = owner.get("/api/v1/sessions?address=not-an-ip").await;
    assert_eq!(bad.status, 422);
    let page = owner
        .get("/sessions?address=10.20.0.15&at=2026-11-25+20:30")
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("rahim") && !page.body.contains("karim"),
        "{}",
        page.body
    );
    let csv = owner.get("/sessions.csv?address=10.20.0.15").await;
    assert!(csv
        .header("content-disposition")
        .unwrap()
        .contains("setu-sessions.csv"));
    assert_eq!(csv.body.trim_end().split("\r\n").count(), 3);
    assert!(csv.body.contains("'=cmd"), "formula defused: {}", csv.body);
}

/// The record of each agent message is what makes a redelivered one harmless; once its boot's
/// contiguous mark has passed it and it is old, it goes (the table grew forever before), and a
/// late duplicate is still recognised by the mark.
#[tokio::test]
async fn acknowledged_agent_messages_are_purged_and_late_duplicates_still_recognised() {
    use controller::fleet::uplinks::{record, Effect};
    let app = spawn_app().await;
    company(&app, "Padma", &[]).await;
    let boot = "0123456789abcdef0123456789abcdef";
    let mut db = app.store.conn().await.unwrap();
    for seq in [1, 2, 3, 4, 5, 7] {
        let r = record(&mut db, "ag-test", boot, seq, "telemetry", 0, &Effect::None)
            .await
            .unwrap();
        assert!(r.fresh);
    }
    sqlx::query("UPDATE agent_messages SET received_at = 0")
        .execute(&mut *db)
        .await
        .unwrap();
    let (_, _, purged, _) = controller::clean_up(&app.state).await.unwrap();
    assert_eq!(
        purged, 5,
        "1-5 are below the mark; 7 is beyond the gap and stays"
    );
    let left: Vec<i64> = sqlx::query_scalar("SELECT seq FROM agent_messages ORDER BY seq")
        .fetch_all(&mut *db)
        .await
        .unwrap();
    assert_eq!(left, [7]);
    let again = record(&mut db, "ag-test", boot, 3, "telemetry", 0, &Effect::None)
        .await
        .unwrap();
    assert!(
        !again.fresh,
        "a late duplicate of a purged record is still a duplicate"
    );
    let six = record(&mut db, "ag-test", boot, 6, "telemetry", 0, &Effect::None)
        .await
        .unwrap();
    assert!(six.fresh);
    assert_eq!(six.contiguous_seq, 7, "the gap closed");
    let (_, _, purged, _) = controller::clean_up(&app.state).await.unwrap();
    assert_eq!(purged, 1, "7 is old and acknowledged now; 6 is fresh");
}
