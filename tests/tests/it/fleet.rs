//! The whole fleet link: controller (with its embedded broker) + enrolled agent + simulated
//! router. A subscriber changed in the controller reaches the router; sessions on the router
//! reach the controller's session log.

use edge_agent::link::http;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tests::fleet::*;
use tests::routeros_sim::{self, SimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_changed_in_the_office_reaches_the_router_and_sessions_come_back() {
    let f = fleet().await;
    let (router_id, token) = f.router_with_token("Mirpur CCR").await;
    let agent = f.start_agent(&token).await;
    // The token is dead once used.
    let reuse =
        edge_agent::link::identity::enroll(&f.base, &token, &f.dir.join("again"), None).await;
    assert!(
        reuse
            .as_ref()
            .is_err_and(|e| e.to_string().contains("enrollment token")),
        "{reuse:?}"
    );

    let plan = f.plan("Home 10M", "10M").await;
    let (status, sub) = f
        .api(
            "POST",
            "/api/v1/subscribers",
            &format!(
                r#"{{"name":"Rahim","phone":"01712345678","router_id":{router_id},"plan_id":{plan},"pppoe_username":"rahim.mirpur","pppoe_password":"k7Qm2vXa"}}"#
            ),
        )
        .await;
    assert_eq!(status, 201, "{sub}");
    let sub_id = sub["id"].as_i64().unwrap();
    let (status, karim) = f
        .api(
            "POST",
            "/api/v1/subscribers",
            &format!(
                r#"{{"name":"Karim","phone":"01812345678","router_id":{router_id},"plan_id":{plan},"pppoe_username":"karim.uttara","pppoe_password":"p9Lw4nZe"}}"#
            ),
        )
        .await;
    assert_eq!(status, 201, "{karim}");
    let profile = format!("setu-plan-{plan}");
    eventually(20, "the secret on the router", || {
        secret(&f.sim, "rahim.mirpur")
            .is_some_and(|s| s["profile"] == profile && s["disabled"] == "false")
    })
    .await;

    // Online, applied = desired, in the API.
    let mut router = serde_json::Value::Null;
    for _ in 0..100 {
        router = router_json(&f, router_id).await;
        if router["online"] == true && router["applied_version"] == router["desired_version"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(router["online"], true, "{router}");
    assert_eq!(
        router["applied_version"], router["desired_version"],
        "{router}"
    );
    assert_eq!(router["routeros_version"], "7.18.2 (stable)", "{router}");

    // The subscriber dials in: the session reaches the controller's log.
    f.sim
        .ppp_connect(
            "rahim.mirpur",
            "k7Qm2vXa",
            Ipv4Addr::new(10, 20, 0, 15),
            "AA:BB:CC:00:11:22",
        )
        .unwrap();
    let mut sessions = serde_json::Value::Null;
    for _ in 0..100 {
        sessions = f
            .api("GET", "/api/v1/sessions?username=rahim.mirpur", "")
            .await
            .1;
        if sessions["items"].as_array().is_some_and(|i| !i.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let session = &sessions["items"][0];
    assert_eq!(session["address"], "10.20.0.15", "{sessions}");
    assert_eq!(session["caller_id"], "AA:BB:CC:00:11:22");
    assert_eq!(session["subscriber_id"], sub_id);
    assert!(session["ended_at"].is_null());
    // "Who had 10.20.0.15 just now?"
    let now = controller::kernel::date::dhaka_time(controller::kernel::db::now_ms() + 60_000);
    let (_, who) = f
        .api(
            "GET",
            &format!(
                "/api/v1/sessions?address=10.20.0.15&at={}",
                now.replace(' ', "T")
            ),
            "",
        )
        .await;
    assert_eq!(who["items"][0]["username"], "rahim.mirpur", "{who}");

    // Suspended in the office: disabled on the router and the session kicked.
    let body = |status: &str| {
        format!(
            r#"{{"name":"Rahim","phone":"01712345678","router_id":{router_id},"plan_id":{plan},"pppoe_username":"rahim.mirpur","pppoe_password":"k7Qm2vXa","status":"{status}"}}"#
        )
    };
    let (status, _) = f
        .api(
            "PUT",
            &format!("/api/v1/subscribers/{sub_id}"),
            &body("suspended"),
        )
        .await;
    assert_eq!(status, 200);
    eventually(20, "suspension on the router", || {
        secret(&f.sim, "rahim.mirpur").is_some_and(|s| s["disabled"] == "true")
            && !active(&f.sim, "rahim.mirpur")
    })
    .await;
    // The kick ends the session in the log too.
    let mut ended = false;
    for _ in 0..100 {
        let (_, s) = f
            .api("GET", "/api/v1/sessions?username=rahim.mirpur", "")
            .await;
        if s["items"][0]["ended_at"].is_i64() {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ended, "the session's end reached the log");

    // Reconnected: enabled again.
    f.api(
        "PUT",
        &format!("/api/v1/subscribers/{sub_id}"),
        &body("active"),
    )
    .await;
    eventually(20, "reconnection on the router", || {
        secret(&f.sim, "rahim.mirpur").is_some_and(|s| s["disabled"] == "false")
    })
    .await;

    // Deleted: gone from the router.
    let (status, _) = f
        .api("DELETE", &format!("/api/v1/subscribers/{sub_id}"), "")
        .await;
    assert_eq!(status, 204);
    eventually(20, "removal from the router", || {
        secret(&f.sim, "rahim.mirpur").is_none()
    })
    .await;

    // Deleting the last one empties the desired state: the agent refuses rather than wipe the
    // router (the controller may have lost its data), and says so.
    f.api(
        "DELETE",
        &format!("/api/v1/subscribers/{}", karim["id"]),
        "",
    )
    .await;
    let mut refused = serde_json::Value::Null;
    for _ in 0..100 {
        refused = router_json(&f, router_id).await;
        if refused["drift_json"]
            .as_str()
            .is_some_and(|d| d.contains("allow_empty_desired"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        refused["drift_json"]
            .as_str()
            .unwrap()
            .contains("allow_empty_desired"),
        "{refused}"
    );
    assert!(secret(&f.sim, "karim.uttara").is_some(), "nothing wiped");
    assert!(refused["applied_version"].as_i64() < refused["desired_version"].as_i64());
    agent.stop().await;
}

/// The controller fails the desired-state fetch (an error, then a document altered in transit):
/// nothing reaches the router until a good copy arrives, which a retry gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_or_tampered_desired_state_fetch_applies_nothing() {
    let f = fleet().await;
    let (router, token) = f.router_with_token("Banani").await;
    let plan = f.plan("Home 10M", "10M").await;
    for user in ["b1", "b2"] {
        subscriber_on(&f, router, plan, user).await;
    }
    let state_dir = f.dir.join("agent-flaky");
    edge_agent::link::identity::enroll(&f.base, &token, &state_dir, None)
        .await
        .unwrap();
    let controller: std::net::SocketAddr = f.base.trim_start_matches("http://").parse().unwrap();
    let (flaky, served) = flaky_http(controller).await;
    let enrollment = state_dir.join("enrollment.json");
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&enrollment).unwrap()).unwrap();
    doc["desired_url"] = serde_json::Value::String(format!("http://{flaky}/fleet/v1/desired"));
    std::fs::write(&enrollment, doc.to_string()).unwrap();
    let agent = f.run_agent(&state_dir).await;
    // The first fetch fails (500), the next gets a copy altered in transit ("pw-b1" became
    // "Pw-b1"): neither may reach the router; a later retry converges it.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let b1 = secret(&f.sim, "b1");
        assert!(
            b1.as_ref().is_none_or(|s| s["password"] == "pw-b1"),
            "the tampered document was applied: {b1:?}"
        );
        if b1.is_some() && secret(&f.sim, "b2").is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no convergence after the retries"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        served.load(std::sync::atomic::Ordering::SeqCst) >= 3,
        "the error and the tampered copy were both served first"
    );
    agent.stop().await;
}

/// Broker unreachable for 30 s while subscribers log in and out: afterwards every event is in
/// the database exactly once (outbox, acks, idempotent storage).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_during_a_30_second_outage_arrive_exactly_once() {
    // The relay must exist before enrollment hands its address to the agent.
    let broker_port = free_port();
    let outage = Outage::start(std::net::SocketAddr::from(([127, 0, 0, 1], broker_port))).await;
    let relay = outage.addr;
    let f = fleet_with(|c| {
        c.mqtt.listen = std::net::SocketAddr::from(([127, 0, 0, 1], broker_port));
        c.fleet.agent_mqtt_url = format!("mqtt://{relay}");
    })
    .await;
    let (router_id, token) = f.router_with_token("Uttara").await;
    let plan = f.plan("Home 5M", "5M").await;
    let users: Vec<String> = (1..=5).map(|i| format!("user{i}")).collect();
    for user in &users {
        subscriber_on(&f, router_id, plan, user).await;
    }
    let agent = f.start_agent(&token).await;
    eventually(20, "all secrets on the router", || {
        users.iter().all(|u| secret(&f.sim, u).is_some())
    })
    .await;

    outage.set_down(true);
    // Sessions start and stop while the controller cannot be reached.
    for (i, user) in users.iter().enumerate() {
        f.sim
            .ppp_connect(
                user,
                &format!("pw-{user}"),
                Ipv4Addr::new(10, 20, 1, i as u8 + 10),
                "AA:BB:CC:00:00:01",
            )
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for user in &users[..3] {
        assert!(f.sim.ppp_disconnect(user));
    }
    tokio::time::sleep(Duration::from_secs(27)).await;
    assert_eq!(
        count(&f, "SELECT COUNT(*) AS n FROM session_log").await,
        0,
        "nothing arrived while the link was down"
    );
    outage.set_down(false);

    // 5 logins and 3 logouts: 5 sessions, 3 of them ended, each stored once.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sessions = count(&f, "SELECT COUNT(*) AS n FROM session_log").await;
        let ended = count(
            &f,
            "SELECT COUNT(*) AS n FROM session_log WHERE ended_at IS NOT NULL",
        )
        .await;
        if sessions == 5 && ended == 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "sessions {sessions}, ended {ended}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(
            &f,
            "SELECT COUNT(*) AS n FROM agent_messages WHERE kind = 'event'"
        )
        .await,
        8
    );
    // And the outbox empties: every record acknowledged.
    let outbox_dir = agent.state_dir.join("outbox");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_dir(&outbox_dir).unwrap().count() > 0 {
        assert!(Instant::now() < deadline, "outbox not drained");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A sentinel after the replay: once its session is stored, everything sent before it has
    // been handled, so a duplicate of the replay would be in the log by now.
    f.sim
        .ppp_connect(
            "user1",
            "pw-user1",
            Ipv4Addr::new(10, 20, 1, 99),
            "AA:BB:CC:00:00:99",
        )
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(
        &f,
        "SELECT COUNT(*) AS n FROM session_log WHERE address = '10.20.1.99'",
    )
    .await
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the sentinel session did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(&f, "SELECT COUNT(*) AS n FROM session_log").await,
        6,
        "no duplicates after the replay"
    );
    agent.stop().await;
}

/// `kill -9` of the agent in the middle of applying a large plan: after a restart the router
/// converges, and nothing was applied twice (duplicates would be refused by the router).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_killed_mid_apply_converges_after_restart() {
    const N: i64 = 3000;
    let f = fleet().await;
    let (router_id, token) = f.router_with_token("Gulshan").await;
    let plan = f.plan("Home 10M", "10M").await;
    // Many subscribers at once, straight into the database; the API adds the last one, which
    // bumps the version and tells the agent.
    let mut tx = f.store.pool().begin().await.unwrap();
    for i in 1..N {
        sqlx::query(
            "INSERT INTO subscribers (company_id, router_id, plan_id, name, phone, pppoe_username, pppoe_password,
                 status, created_at, updated_at) VALUES ($1, $2, $3, $4, '01712345678', $4, 'pw-12345', 'active', 0, 0)",
        )
        .bind(f.scope.company().0)
        .bind(router_id)
        .bind(plan)
        .bind(format!("bulk{i}"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let agent = f.start_agent(&token).await;
    subscriber_on(&f, router_id, plan, &format!("bulk{N}")).await;
    let secrets = || f.sim.rows("/ppp/secret").len() as i64;
    eventually(30, "the apply to begin", || secrets() > 0).await;
    let state_dir = agent.state_dir.clone();
    agent.kill();
    let at_kill = secrets();
    assert!(
        at_kill < N,
        "killed after the plan finished ({at_kill}); make N larger"
    );

    let agent = f.run_agent(&state_dir).await;
    eventually(60, "convergence after the restart", || secrets() == N).await;
    let rows = f.sim.rows("/ppp/secret");
    let mut names: Vec<&str> = rows.iter().map(|r| r["name"].as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len() as i64, N, "every secret exactly once");
    let mut router = serde_json::Value::Null;
    for _ in 0..200 {
        router = router_json(&f, router_id).await;
        if router["applied_version"] == router["desired_version"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        router["applied_version"], router["desired_version"],
        "{router}"
    );
    agent.stop().await;
}

/// A message signed with another agent's key, or claiming another agent's id, is refused and
/// audited; a revoked agent is refused; an expired command is not executed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_messages_revoked_agents_and_expired_commands_are_refused() {
    use protocol::fleet::{
        self as wire, topics, AgentId, Command, CommandAction, DownBody, DownEnvelope, Envelope,
        Service, SessionChange, SessionEvent, UpBody,
    };
    let f = fleet().await;
    let (router_a, token_a) = f.router_with_token("Alpha").await;
    let (_, token_b) = f.router_with_token("Beta").await;
    let plan = f.plan("Home 10M", "10M").await;
    subscriber_on(&f, router_a, plan, "rahim").await;
    let agent_a = f.start_agent(&token_a).await;
    // B is enrolled but its agent does not run: the test speaks for it.
    let dir_b = f.dir.join("agent-b");
    edge_agent::link::identity::enroll(&f.base, &token_b, &dir_b, None)
        .await
        .unwrap();
    let b = edge_agent::link::identity::load(&dir_b).unwrap();
    let a_id = AgentId::parse(
        &edge_agent::link::identity::load(&agent_a.state_dir)
            .unwrap()
            .enrollment
            .agent_id,
    )
    .unwrap();
    eventually(20, "A's secret on the router", || {
        secret(&f.sim, "rahim").is_some()
    })
    .await;

    let mut options =
        rumqttc::MqttOptions::new("forger", f.broker.ip().to_string(), f.broker.port());
    options.set_credentials(&b.enrollment.mqtt_username, &b.enrollment.mqtt_password);
    let (client, mut events) = rumqttc::AsyncClient::new(options, 16);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    let event = |agent: &AgentId, user: &str| Envelope {
        v: wire::PROTOCOL_VERSION,
        agent_id: agent.clone(),
        boot_id: wire::new_boot_id(),
        seq: 1,
        sent_at_ms: controller::kernel::db::now_ms(),
        mono_ms: 1,
        clock_synced: true,
        historical: false,
        body: UpBody::Event(SessionEvent {
            change: SessionChange::Up,
            service: Service::Pppoe,
            user: user.into(),
            address: "10.99.0.1".into(),
            caller_id: "00:00:00:00:00:01".into(),
            router_session_id: "*1".into(),
            at_ms: controller::kernel::db::now_ms(),
            uptime_secs: None,
            bytes_in: None,
            bytes_out: None,
        }),
    };
    // B's key, A's name, A's topic: bad signature.
    let forged = wire::seal_up(&event(&a_id, "forged1"), &b.key);
    client
        .publish(
            topics::up(&a_id, topics::UpKind::Event),
            rumqttc::QoS::AtLeastOnce,
            false,
            forged,
        )
        .await
        .unwrap();
    // B's key, B's topic, but claiming to be A inside: wrong agent.
    let claiming = wire::seal_up(&event(&a_id, "forged2"), &b.key);
    client
        .publish(
            topics::up(&b.agent_id, topics::UpKind::Event),
            rumqttc::QoS::AtLeastOnce,
            false,
            claiming,
        )
        .await
        .unwrap();
    // Garbage is counted, not fatal. (Oversize payloads never get here: the broker's packet
    // limit equals the protocol's, and `open_up` refuses them before parsing anyway.)
    for payload in [b"{\"m\":".to_vec(), b"not json at all".to_vec()] {
        client
            .publish(
                topics::up(&b.agent_id, topics::UpKind::Event),
                rumqttc::QoS::AtLeastOnce,
                false,
                payload,
            )
            .await
            .unwrap();
    }
    // A genuine message of B's, replayed: stored once, the copies counted as duplicates.
    let duplicates_before = metric(&f.base, "duplicate").await;
    let genuine = wire::seal_up(&event(&b.agent_id, "replayed"), &b.key);
    for _ in 0..3 {
        client
            .publish(
                topics::up(&b.agent_id, topics::UpKind::Event),
                rumqttc::QoS::AtLeastOnce,
                false,
                genuine.clone(),
            )
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(
        &f,
        "SELECT COUNT(*) AS n FROM session_log WHERE username = 'replayed'",
    )
    .await
        < 1
        || metric(&f.base, "duplicate").await < duplicates_before + 2
    {
        assert!(
            Instant::now() < deadline,
            "the replay was not stored once and counted twice"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(
            &f,
            "SELECT COUNT(*) AS n FROM session_log WHERE username = 'replayed'"
        )
        .await,
        1,
        "a replayed message is stored once"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(&f.base, "bad_signature").await < 1
        || metric(&f.base, "wrong_agent").await < 1
        || metric(&f.base, "malformed").await < 1
    {
        assert!(Instant::now() < deadline, "refusals not counted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(
            &f,
            "SELECT COUNT(*) AS n FROM session_log WHERE username LIKE 'forged%'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &f,
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'fleet.message_refused'"
        )
        .await,
        2,
        "both forgeries audited"
    );

    // An expired command, properly signed by the controller, is not executed.
    f.sim
        .ppp_connect(
            "rahim",
            "pw-rahim",
            Ipv4Addr::new(10, 20, 0, 5),
            "AA:BB:CC:00:00:05",
        )
        .unwrap();
    let row = sqlx::query("SELECT pkcs8_hex FROM fleet_keys")
        .fetch_one(f.store.pool())
        .await
        .unwrap();
    let pkcs8 = protocol::encoding::unhex(&sqlx::Row::get::<String, _>(&row, "pkcs8_hex")).unwrap();
    let controller_key = wire::keypair_from_pkcs8(&pkcs8).unwrap();
    let now = controller::kernel::db::now_ms();
    let stale = DownEnvelope {
        v: wire::PROTOCOL_VERSION,
        agent_id: a_id.clone(),
        issued_at_ms: now - 3_600_000,
        body: DownBody::Command(Command {
            id: "cmd-stale-kick".into(),
            action: CommandAction::Kick {
                service: Service::Pppoe,
                user: "rahim".into(),
            },
            issued_at_ms: now - 3_600_000,
            expires_at_ms: now - 3_000_000,
        }),
    };
    client
        .publish(
            topics::down(&a_id, topics::DownKind::Command),
            rumqttc::QoS::AtLeastOnce,
            false,
            wire::seal_down(&stale, &controller_key),
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(
        &f,
        "SELECT COUNT(*) AS n FROM agent_messages WHERE kind = 'command_result'",
    )
    .await
        < 1
    {
        assert!(
            Instant::now() < deadline,
            "no answer to the expired command"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(active(&f.sim, "rahim"), "the expired kick was not executed");

    // A live kick through the API is.
    let (status, issued) = f
        .api(
            "POST",
            &format!("/api/v1/routers/{router_a}/commands"),
            r#"{"action":"kick","user":"rahim"}"#,
        )
        .await;
    assert_eq!(status, 202, "{issued}");
    eventually(10, "the kick", || !active(&f.sim, "rahim")).await;
    let mut commands = serde_json::Value::Null;
    for _ in 0..100 {
        commands = f
            .api("GET", &format!("/api/v1/routers/{router_a}/commands"), "")
            .await
            .1;
        if commands["items"][0]["state"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(commands["items"][0]["state"], "succeeded", "{commands}");

    // Revoked: A's messages are refused from now on, and its login is dead.
    let (status, _) = f
        .api("POST", &format!("/api/v1/routers/{router_a}/revoke"), "")
        .await;
    assert_eq!(status, 200);
    f.sim
        .ppp_connect(
            "rahim",
            "pw-rahim",
            Ipv4Addr::new(10, 20, 0, 6),
            "AA:BB:CC:00:00:06",
        )
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(&f.base, "revoked_agent").await < 1 {
        assert!(
            Instant::now() < deadline,
            "a revoked agent's message was not refused"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(
            &f,
            "SELECT COUNT(*) AS n FROM session_log WHERE address = '10.20.0.6'"
        )
        .await,
        0
    );
    let a = edge_agent::link::identity::load(&agent_a.state_dir).unwrap();
    assert!(
        !controller::fleet::broker::check_login(
            &mut f.store.conn().await.unwrap(),
            &a.enrollment.mqtt_username,
            &a.enrollment.mqtt_password
        )
        .await
        .unwrap(),
        "the revoked login is refused by the broker"
    );
    let auth = http::basic_auth(&a.enrollment.mqtt_username, &a.enrollment.mqtt_password);
    let fetch = http::request(
        "GET",
        &format!("{}/fleet/v1/desired", f.base),
        &[("Authorization", &auth)],
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(fetch.status, 401, "nor can it fetch the desired state");
    agent_a.stop().await;
}

/// Mosquitto for the agent link (`SETU_MOSQUITTO` = path of the `mosquitto` binary; `.ci/run`
/// installs Debian's). Started with the ACL file Setu ships.
struct Mosquitto {
    port: u16,
    /// MQTT over TLS, over WebSocket, and over WebSocket with TLS.
    tls_port: u16,
    ws_port: u16,
    wss_port: u16,
    /// The (self-signed) certificate of the TLS listeners, as the agents' CA file.
    ca_file: PathBuf,
    password_file: PathBuf,
    child: std::process::Child,
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Mosquitto {
    fn start(binary: &str) -> Mosquitto {
        let dir = temp_dir("mosquitto");
        let (port, tls_port, ws_port, wss_port) =
            (free_port(), free_port(), free_port(), free_port());
        let cert = routeros_sim::self_signed(&["127.0.0.1", "localhost"]).unwrap();
        let (ca_file, key_file) = (dir.join("broker.pem"), dir.join("broker.key"));
        std::fs::write(&ca_file, &cert.cert_pem).unwrap();
        std::fs::write(&key_file, &cert.key_pem).unwrap();
        let tls = format!(
            "certfile {}\nkeyfile {}\n",
            ca_file.display(),
            key_file.display()
        );
        let password_file = dir.join("setu.passwd");
        std::fs::write(&password_file, "").unwrap();
        let acl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/mosquitto/setu.acl");
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "per_listener_settings false\nallow_anonymous false\npassword_file {}\nacl_file {}\n\
                 message_size_limit 262144\nlistener {port} 127.0.0.1\n\
                 listener {tls_port} 127.0.0.1\n{tls}\
                 listener {ws_port}\nprotocol websockets\n\
                 listener {wss_port}\nprotocol websockets\n{tls}",
                password_file.display(),
                acl.display(),
            ),
        )
        .unwrap();
        let mut child = std::process::Command::new(binary)
            .arg("-c")
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start mosquitto");
        // Ready only once it says "running": a SIGHUP (our password-file reload) during its
        // start-up kills it. Its log keeps being drained (and kept) after that.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().expect("piped");
        let log_path = dir.join("mosquitto.log");
        std::thread::spawn(move || {
            use std::io::{BufRead, Write};
            let mut log = std::fs::File::create(log_path).ok();
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if line.contains(" running") {
                    let _ = ready_tx.send(());
                }
                if let Some(log) = log.as_mut() {
                    let _ = writeln!(log, "{line}");
                }
            }
        });
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("mosquitto did not start");
        Mosquitto {
            port,
            tls_port,
            ws_port,
            wss_port,
            ca_file,
            password_file,
            child,
        }
    }
}

/// Connects with `user`/`password`; returns the client once CONNACK arrives, or the refusal.
async fn mqtt_client(
    port: u16,
    user: &str,
    password: &str,
) -> Result<
    (
        rumqttc::AsyncClient,
        tokio::sync::mpsc::UnboundedReceiver<rumqttc::Event>,
    ),
    String,
> {
    let mut options = rumqttc::MqttOptions::new(
        format!("test-{}", &controller::kernel::random::token()[..6]),
        "127.0.0.1",
        port,
    );
    options.set_credentials(user, password);
    let (client, mut events) = rumqttc::AsyncClient::new(options, 16);
    let first = tokio::time::timeout(Duration::from_secs(5), events.poll()).await;
    match first {
        Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(ack))))
            if ack.code == rumqttc::ConnectReturnCode::Success => {}
        other => return Err(format!("{other:?}")),
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(event) = events.poll().await {
            let _ = tx.send(event);
        }
    });
    Ok((client, rx))
}

/// With Mosquitto: agents enroll and converge through it, two controller replicas split the
/// traffic through `$share` and store every event once, the shipped ACL pins each agent to its
/// own topics, and a revoked agent's login is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_mosquitto_with_two_replicas_and_the_acl() {
    use protocol::fleet::{self as wire, topics, AgentId};
    let Some(binary) = tests::service("SETU_MOSQUITTO") else {
        return;
    };
    let mosquitto = Mosquitto::start(&binary);
    let port = mosquitto.port;
    let controller_password = controller::kernel::random::token();
    let reload = format!("kill -HUP {}", mosquitto.child.id());
    let password_file = mosquitto.password_file.display().to_string();
    let f = fleet_with(|c| {
        c.mqtt.embedded = false;
        c.mqtt.external_url = format!("mqtt://127.0.0.1:{port}");
        c.mqtt.username = "setu-controller".into();
        c.mqtt.password = controller_password.clone();
        c.mqtt.mosquitto_password_file = password_file.clone();
        c.mqtt.mosquitto_reload_command = reload.clone();
        c.fleet.agent_mqtt_url = format!("mqtt://127.0.0.1:{port}");
    })
    .await;
    let (replica_base, _replica) = f.start_replica().await;
    let (router_a, token_a) = f.router_with_token("Mirpur").await;
    let (router_b, token_b) = f.router_with_token("Uttara").await;
    let plan = f.plan("Home 10M", "10M").await;
    let users: Vec<String> = (1..=20).map(|i| format!("m{i:02}")).collect();
    for user in users.iter().map(String::as_str).chain(["sentinel"]) {
        subscriber_on(&f, router_a, plan, user).await;
    }
    let agent_a = f.start_agent(&token_a).await;
    eventually(
        30,
        "the subscribers on the router, through Mosquitto",
        || {
            users.iter().all(|u| secret(&f.sim, u).is_some())
                && secret(&f.sim, "sentinel").is_some()
        },
    )
    .await;

    // Twenty logins: stored exactly once, and both replicas took a share.
    for (i, user) in users.iter().enumerate() {
        f.sim
            .ppp_connect(
                user,
                &format!("pw-{user}"),
                Ipv4Addr::new(10, 30, 0, i as u8 + 1),
                "AA:BB:CC:00:00:09",
            )
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&f, "SELECT COUNT(*) AS n FROM session_log").await < 20 {
        assert!(Instant::now() < deadline, "sessions did not arrive");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A sentinel login: once it is stored, a duplicate of any of the 20 would be too.
    f.sim
        .ppp_connect(
            "sentinel",
            "pw-sentinel",
            Ipv4Addr::new(10, 30, 0, 250),
            "AA:BB:CC:00:00:FA",
        )
        .unwrap();
    while count(
        &f,
        "SELECT COUNT(*) AS n FROM session_log WHERE address = '10.30.0.250'",
    )
    .await
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the sentinel session did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count(&f, "SELECT COUNT(*) AS n FROM session_log").await, 21);
    let (one, two) = (
        metric(&f.base, "accepted").await,
        metric(&replica_base, "accepted").await,
    );
    assert!(
        one > 0 && two > 0,
        "both replicas took messages: {one} and {two}"
    );

    // The ACL: B may neither publish as A nor read A's commands.
    let dir_b = f.dir.join("agent-b");
    edge_agent::link::identity::enroll(&f.base, &token_b, &dir_b, None)
        .await
        .unwrap();
    let b = edge_agent::link::identity::load(&dir_b).unwrap();
    let a = edge_agent::link::identity::load(&agent_a.state_dir).unwrap();
    let a_id = AgentId::parse(&a.enrollment.agent_id).unwrap();
    let (client_b, mut events_b) = mqtt_client(
        port,
        &b.enrollment.mqtt_username,
        &b.enrollment.mqtt_password,
    )
    .await
    .expect("B logs in");
    client_b
        .subscribe(topics::agent_filter(&a_id), rumqttc::QoS::AtLeastOnce)
        .await
        .unwrap();
    // Mosquitto grants the subscription but delivers nothing the ACL denies: a command to A
    // reaches A, not B.
    let suback = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(event) = events_b.recv().await {
            if matches!(event, rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_))) {
                return;
            }
        }
    })
    .await;
    assert!(suback.is_ok(), "B's subscription was never acknowledged");
    let (status, _) = f
        .api(
            "POST",
            &format!("/api/v1/routers/{router_a}/commands"),
            r#"{"action":"diagnostics"}"#,
        )
        .await;
    assert_eq!(status, 202);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let commands = f
            .api("GET", &format!("/api/v1/routers/{router_a}/commands"), "")
            .await
            .1;
        if commands["items"][0]["state"] == "succeeded" {
            break;
        }
        assert!(Instant::now() < deadline, "A never answered: {commands}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    while let Ok(event) = events_b.try_recv() {
        assert!(
            !matches!(event, rumqttc::Event::Incoming(rumqttc::Packet::Publish(_))),
            "B read A's downlink: {event:?}"
        );
    }
    let envelope = wire::Envelope {
        v: wire::PROTOCOL_VERSION,
        agent_id: a_id.clone(),
        boot_id: wire::new_boot_id(),
        seq: 1,
        sent_at_ms: controller::kernel::db::now_ms(),
        mono_ms: 0,
        clock_synced: true,
        historical: false,
        body: wire::UpBody::Telemetry(wire::Telemetry {
            cpu_load_pct: 99,
            free_memory_bytes: 0,
            total_memory_bytes: 0,
            uptime_secs: 0,
            pppoe_active: 0,
            hotspot_active: 0,
            interfaces: Vec::new(),
        }),
    };
    client_b
        .publish(
            topics::up(&a_id, topics::UpKind::Telemetry),
            rumqttc::QoS::AtLeastOnce,
            false,
            wire::seal_up(&envelope, &b.key),
        )
        .await
        .unwrap();
    // A sentinel from B on its own topic, after the forged one: once a controller has taken it
    // in, the forged publish would have reached a controller too, had Mosquitto let it through.
    let b_id = AgentId::parse(&b.enrollment.agent_id).unwrap();
    let sentinel = wire::Envelope {
        agent_id: b_id.clone(),
        body: wire::UpBody::Telemetry(wire::Telemetry {
            cpu_load_pct: 77,
            free_memory_bytes: 0,
            total_memory_bytes: 0,
            uptime_secs: 0,
            pppoe_active: 0,
            hotspot_active: 0,
            interfaces: Vec::new(),
        }),
        ..envelope
    };
    client_b
        .publish(
            topics::up(&b_id, topics::UpKind::Telemetry),
            rumqttc::QoS::AtLeastOnce,
            false,
            wire::seal_up(&sentinel, &b.key),
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while router_json(&f, router_b).await["cpu_load"] != 77 {
        assert!(Instant::now() < deadline, "B's own telemetry never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        metric(&f.base, "bad_signature").await + metric(&replica_base, "bad_signature").await,
        0,
        "Mosquitto dropped the cross-agent publish before any controller saw it"
    );

    // Agents behind networks that pass only TLS or HTTP(S): the same link over MQTT/TLS,
    // WebSocket and WebSocket/TLS. Each agent has its own (empty) router and must come online
    // and apply the version the controller announces.
    for url in [
        format!("mqtts://127.0.0.1:{}", mosquitto.tls_port),
        format!("ws://127.0.0.1:{}/mqtt", mosquitto.ws_port),
        format!("wss://127.0.0.1:{}/mqtt", mosquitto.wss_port),
    ] {
        let (router, token) = f.router_with_token(&url).await;
        let state_dir = f.dir.join(format!("agent-{router}"));
        edge_agent::link::identity::enroll(&f.base, &token, &state_dir, None)
            .await
            .unwrap();
        let enrollment = state_dir.join("enrollment.json");
        let mut doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&enrollment).unwrap()).unwrap();
        doc["mqtt_url"] = serde_json::Value::String(url.clone());
        std::fs::write(&enrollment, doc.to_string()).unwrap();
        let sim = routeros_sim::start(SimConfig {
            users: vec![(ROUTER_USER.into(), ROUTER_PASSWORD.into())],
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let agent = run_agent_on(&f.dir, sim.addr(), &state_dir, Some(&mosquitto.ca_file)).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let r = router_json(&f, router).await;
            if r["online"] == true
                && r["agent_version"] != ""
                && r["applied_version"] == r["desired_version"]
            {
                break;
            }
            assert!(Instant::now() < deadline, "{url}: {r}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        agent.stop().await;
    }

    // Revoked: the password file loses A, and Mosquitto refuses its login.
    let (status, _) = f
        .api("POST", &format!("/api/v1/routers/{router_a}/revoke"), "")
        .await;
    assert_eq!(status, 200);
    let refused = mqtt_client(
        port,
        &a.enrollment.mqtt_username,
        &a.enrollment.mqtt_password,
    )
    .await;
    assert!(refused.is_err(), "a revoked agent cannot connect");
    agent_a.stop().await;
    drop(mosquitto);
}

/// What an agent sends is not trusted to fit: numbers that overflow are refused without
/// stopping the ingest (before, `at_ms - uptime * 1000` panicked the one ingest task), and a
/// session from an agent whose clock is not synced gets the controller's time, with the agent's
/// kept beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_numbers_are_checked_and_unsynced_clocks_are_not_believed() {
    use protocol::fleet::{
        self as wire, topics, Envelope, Service, SessionChange, SessionEvent, UpBody,
    };
    let f = fleet().await;
    let (_, token) = f.router_with_token("Alpha").await;
    let dir = f.dir.join("agent-speaking");
    edge_agent::link::identity::enroll(&f.base, &token, &dir, None)
        .await
        .unwrap();
    let me = edge_agent::link::identity::load(&dir).unwrap();
    let mut options =
        rumqttc::MqttOptions::new("speaker", f.broker.ip().to_string(), f.broker.port());
    options.set_credentials(&me.enrollment.mqtt_username, &me.enrollment.mqtt_password);
    let (client, mut events) = rumqttc::AsyncClient::new(options, 16);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    let boot = wire::new_boot_id();
    let event = |seq: u64, user: &str, change, at_ms, uptime_secs, clock_synced| Envelope {
        v: wire::PROTOCOL_VERSION,
        agent_id: me.agent_id.clone(),
        boot_id: boot.clone(),
        seq,
        sent_at_ms: at_ms,
        mono_ms: 1,
        clock_synced,
        historical: false,
        body: UpBody::Event(SessionEvent {
            change,
            service: Service::Pppoe,
            user: user.into(),
            address: "10.99.0.7".into(),
            caller_id: String::new(),
            router_session_id: format!("*{seq}"),
            at_ms,
            uptime_secs,
            bytes_in: Some(u64::MAX),
            bytes_out: None,
        }),
    };
    let now = controller::kernel::db::now_ms();
    let before = now;
    for envelope in [
        // Uptime so large that subtracting it from the time overflows.
        event(
            1,
            "overflow",
            SessionChange::Down,
            now,
            Some(u64::MAX),
            true,
        ),
        // A seq no database integer holds.
        event(u64::MAX, "huge-seq", SessionChange::Up, now, None, true),
        // A clock that was never synced: 1970.
        event(2, "unsynced", SessionChange::Up, 0, None, false),
        // And life goes on.
        event(3, "sentinel", SessionChange::Up, now, None, true),
    ] {
        let mut envelope = envelope;
        if let UpBody::Event(e) = &mut envelope.body {
            if e.user != "overflow" {
                e.bytes_in = None;
            }
        }
        client
            .publish(
                topics::up(&me.agent_id, topics::UpKind::Event),
                rumqttc::QoS::AtLeastOnce,
                false,
                wire::seal_up(&envelope, &me.key),
            )
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(
        &f,
        "SELECT COUNT(*) AS n FROM session_log WHERE username = 'sentinel'",
    )
    .await
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the ingest stopped: the sentinel never arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(metric(&f.base, "bad_number").await, 2);
    assert_eq!(
        count(
            &f,
            "SELECT COUNT(*) AS n FROM session_log WHERE username IN ('overflow', 'huge-seq')"
        )
        .await,
        0
    );
    assert_eq!(
        f.state.metrics.restarts("fleet_ingest"),
        0,
        "nothing panicked"
    );
    let after = controller::kernel::db::now_ms();
    let row = sqlx::query(
        "SELECT started_at, agent_started_at FROM session_log WHERE username = 'unsynced'",
    )
    .fetch_one(f.store.pool())
    .await
    .unwrap();
    let started: i64 = sqlx::Row::get(&row, "started_at");
    let agent_started: Option<i64> = sqlx::Row::get(&row, "agent_started_at");
    assert!(
        (before..=after).contains(&started),
        "the controller's time, not 1970: {started}"
    );
    assert_eq!(agent_started, Some(0), "the agent's own, kept as reported");
}

/// A burst of 5,000 status changes (a dunning run) while the POP's uplink is cut, through a
/// publish queue so small that most notices are dropped: the database is the truth, the resend
/// loop keeps telling the router until it catches up, the lag shows in `/metrics`, and in the end
/// the router holds exactly the final state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_changes_during_an_outage_ends_in_exactly_the_final_state() {
    use controller::kernel::work::Work;
    use controller::subscribers::service::change_status;
    use controller::subscribers::store::Status;
    const SUBSCRIBERS: usize = 500;
    const CHANGES: usize = 5_000;
    let port = free_port();
    let broker = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let outage = Outage::start(broker).await;
    let f = fleet_with(|c| {
        c.mqtt.listen = broker;
        c.fleet.agent_mqtt_url = format!("mqtt://{}", outage.addr);
        c.fleet.resend_secs = 1;
        c.mqtt.publish_queue = 8;
    })
    .await;
    let (router_id, token) = f.router_with_token("Dunning").await;
    let plan = f.plan("Home 5M", "5M").await;
    // The subscribers, made in one unit of work.
    let mut work = Work::system(&f.state, f.scope, "test").await.unwrap();
    let mut ids = Vec::new();
    for i in 0..SUBSCRIBERS {
        let input = controller::subscribers::service::SubscriberInput {
            name: format!("Subscriber {i}"),
            phone: "01712345678".into(),
            router_id: Some(controller::kernel::ids::RouterId(router_id)),
            plan_id: Some(controller::kernel::ids::PlanId(plan)),
            pppoe_username: format!("d{i:04}"),
            pppoe_password: format!("pw-d{i:04}"),
            ..Default::default()
        };
        ids.push(
            controller::subscribers::service::create(&mut work, &input)
                .await
                .unwrap()
                .id,
        );
    }
    work.commit().await.unwrap();
    let agent = f.start_agent(&token).await;
    eventually(60, "every secret on the router", || {
        f.sim
            .rows("/ppp/secret")
            .iter()
            .filter(|r| r["name"].starts_with('d'))
            .count()
            == SUBSCRIBERS
    })
    .await;

    // The burst: each change its own unit of work, as a dunning job would do them, in a
    // shuffled order. 40 subscribers (8%, under the agent's 10% guard rail on disabling at once)
    // end suspended after an odd number of changes; the rest flip back and forth and end
    // active. Halfway the uplink goes down and stays down until a while after the burst.
    let mut changes: Vec<usize> = Vec::with_capacity(CHANGES);
    for i in 0..SUBSCRIBERS {
        let times = match i {
            0..40 => 9,
            40..60 => 12,
            _ => 10,
        };
        changes.extend(std::iter::repeat_n(i, times));
    }
    assert_eq!(changes.len(), CHANGES);
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for n in (1..changes.len()).rev() {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        changes.swap(n, (rng % (n as u64 + 1)) as usize);
    }
    let mut suspended = vec![false; SUBSCRIBERS];
    let started = Instant::now();
    for (n, &i) in changes.iter().enumerate() {
        if n == CHANGES / 2 {
            outage.set_down(true);
        }
        suspended[i] = !suspended[i];
        let status = if suspended[i] {
            Status::Suspended
        } else {
            Status::Active
        };
        let mut work = Work::system(&f.state, f.scope, "dunning").await.unwrap();
        change_status(&mut work, ids[i], status).await.unwrap();
        work.commit().await.unwrap();
    }
    assert_eq!(suspended.iter().filter(|s| **s).count(), 40);
    let burst = started.elapsed();
    let lag = lagging(&f.base).await;
    assert!(lag >= 1.0, "the lagging router shows in /metrics: {lag}");
    let page = router_json(&f, router_id).await;
    assert!(page["desired_version"].as_i64().unwrap() > page["applied_version"].as_i64().unwrap());
    tokio::time::sleep(Duration::from_secs(2)).await; // The outage outlasts the burst.
    outage.set_down(false);
    let restored = Instant::now();
    let want: Vec<bool> = suspended.clone();
    let matches = |sim: &tests::routeros_sim::SimHandle| {
        let rows = sim.rows("/ppp/secret");
        (0..SUBSCRIBERS).all(|i| {
            let name = format!("d{i:04}");
            rows.iter()
                .find(|r| r["name"] == name)
                .is_some_and(|r| (r.get("disabled").map(String::as_str) == Some("true")) == want[i])
        })
    };
    eventually(120, "the router in the final state", || matches(&f.sim)).await;
    let converged = restored.elapsed();
    // And it stays there: the agent reports the final version applied.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = router_json(&f, router_id).await;
        if r["applied_version"] == r["desired_version"] {
            break;
        }
        assert!(Instant::now() < deadline, "never reported in sync: {r}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(matches(&f.sim));
    assert_eq!(lagging(&f.base).await, 0.0);
    println!(
        "FIGURES burst of {CHANGES} changes in {:.1} s; router exact {:.2} s after the uplink came back; \
         {} desired documents built; {} suspended at the end",
        burst.as_secs_f64(),
        converged.as_secs_f64(),
        f.state.fleet.documents.builds(),
        want.iter().filter(|s| **s).count(),
    );
    agent.stop().await;
}

/// `setu_fleet_routers_lagging` as the controller's `/metrics` reports it.
async fn lagging(base: &str) -> f64 {
    let auth = format!("Bearer {}", tests::fleet::METRICS_TOKEN);
    let r = edge_agent::link::http::request(
        "GET",
        &format!("{base}/metrics"),
        &[("Authorization", &auth)],
        None,
        None,
    )
    .await
    .unwrap();
    String::from_utf8_lossy(&r.body)
        .lines()
        .find_map(|l| l.strip_prefix("setu_fleet_routers_lagging "))
        .and_then(|n| n.parse().ok())
        .expect("the lag gauge")
}
