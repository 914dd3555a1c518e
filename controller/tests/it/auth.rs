//! Signing in and out, cookies, CSRF, lockout, timeouts, and the audit trail of each.

use crate::helpers::{company, password_of, spawn_app, spawn_with, test_config, Client};
use controller::kernel::http::session::cookie_name;

/// The session cookie's name in this deployment (`__Host-` with secure cookies, the default).
const SESSION: &str = "__Host-setu_session";

async fn actions(app: &crate::helpers::TestApp) -> Vec<String> {
    let rows = sqlx::query("SELECT action FROM audit_log ORDER BY id")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    rows.iter()
        .map(|r| sqlx::Row::get::<String, _>(r, "action"))
        .collect()
}

#[tokio::test]
async fn login_sets_a_hardened_cookie_and_a_new_session_each_time() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut c = Client::new(&app);
    let r = c.login("owner1", &password_of("owner1")).await;
    assert_eq!(r.status, 303);
    let cookie = r
        .headers
        .iter()
        .find(|(k, v)| {
            k.eq_ignore_ascii_case("set-cookie") && v.starts_with("__Host-setu_session=")
        })
        .unwrap()
        .1
        .clone();
    for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert_eq!(
        cookie_name(&app.state, "setu_session"),
        SESSION,
        "no other site can plant it"
    );
    let first = c.cookies[SESSION].clone();
    c.login("owner1", &password_of("owner1")).await;
    assert_ne!(c.cookies[SESSION], first, "a new session id at every login");
    assert_eq!(c.get("/api/v1/me").await.json()["username"], "owner1");
    assert!(
        actions(&app)
            .await
            .iter()
            .filter(|a| *a == "auth.login")
            .count()
            == 2
    );
}

#[tokio::test]
async fn wrong_passwords_are_refused_audited_and_lock_the_account() {
    let mut config = test_config();
    config.login.max_failures = 3;
    let app = spawn_with(config).await;
    company(&app, "Padma", &[("clerk1", "billing-clerk")]).await;
    let mut c = Client::new(&app);
    let r = c.login("nobody", "whatever-password").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Wrong username or password"));
    for _ in 0..3 {
        assert_eq!(c.login("clerk1", "wrong-password!").await.status, 401);
    }
    let locked = c.login("clerk1", &password_of("clerk1")).await;
    assert_eq!(locked.status, 429, "locked even with the right password");
    assert!(!c.cookies.contains_key(SESSION));
    let log = actions(&app).await;
    assert_eq!(
        log.iter().filter(|a| *a == "auth.login_failed").count(),
        3,
        "{log:?}"
    );
    assert!(
        log.contains(&"auth.locked_out".to_owned())
            && log.contains(&"auth.login_locked".to_owned()),
        "{log:?}"
    );
}

#[tokio::test]
async fn state_changes_without_the_csrf_token_change_nothing() {
    let app = spawn_app().await;
    let padma = company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut c = Client::login_as(&app, "owner1").await;
    let before = app.branch_count(padma.scope).await;
    let r = c.post_form("/branches", &[("name", "Forged")]).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["code"], "csrf_failed");
    let r = c
        .post_form("/branches", &[("name", "Forged"), ("csrf", "0000")])
        .await;
    assert_eq!(r.status, 403);
    let r = c
        .request(
            "POST",
            "/api/v1/branches",
            Some("application/json"),
            br#"{"name":"Forged"}"#,
            &[],
        )
        .await;
    assert_eq!(r.status, 403);
    // A login form posted without its cookie's token is refused too.
    let mut fresh = Client::new(&app);
    let r = fresh
        .post_form(
            "/login",
            &[
                ("csrf", "x"),
                ("username", "owner1"),
                ("password", &password_of("owner1")),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(app.branch_count(padma.scope).await, before);
}

#[tokio::test]
async fn logout_ends_the_session_and_logout_everywhere_ends_all() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut phone = Client::login_as(&app, "owner1").await;
    let mut laptop = Client::login_as(&app, "owner1").await;
    let stolen = phone.cookies.clone();
    let csrf = phone.get("/").await.form_csrf();
    assert_eq!(
        phone.post_form("/logout", &[("csrf", &csrf)]).await.status,
        303
    );
    let mut thief = Client::new(&app);
    thief.cookies = stolen;
    assert_eq!(
        thief.get("/api/v1/me").await.status,
        401,
        "a logged-out cookie is dead"
    );
    assert_eq!(
        laptop.get("/api/v1/me").await.status,
        200,
        "other sessions live on"
    );

    let mut tablet = Client::login_as(&app, "owner1").await;
    let csrf = laptop.get("/").await.form_csrf();
    laptop
        .post_form("/logout-everywhere", &[("csrf", &csrf)])
        .await;
    assert_eq!(tablet.get("/api/v1/me").await.status, 401);
    assert_eq!(laptop.get("/api/v1/me").await.status, 401);
}

#[tokio::test]
async fn idle_sessions_expire() {
    let mut config = test_config();
    config.http.session_idle_minutes = 1;
    let app = spawn_with(config).await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut c = Client::login_as(&app, "owner1").await;
    assert_eq!(c.get("/api/v1/me").await.status, 200);
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 120000")
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(c.get("/api/v1/me").await.status, 401);
    let left = sqlx::query("SELECT COUNT(*) AS n FROM sessions")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        sqlx::Row::get::<i64, _>(&left, "n"),
        0,
        "the expired session is deleted"
    );
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let creds =
        controller::staff::store::credentials(&mut app.store.conn().await.unwrap(), "owner1")
            .await
            .unwrap()
            .unwrap();
    assert!(creds
        .password_hash
        .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!creds.password_hash.contains(&password_of("owner1")));
    assert!(app.audit_intact().await);
}

#[tokio::test]
async fn many_failures_from_one_address_throttle_it_for_every_account() {
    let mut config = test_config();
    config.login.max_failures_per_ip = 3;
    let app = spawn_with(config).await;
    company(
        &app,
        "Padma",
        &[("owner1", "owner"), ("clerk1", "billing-clerk")],
    )
    .await;
    let mut sprayer = Client::new(&app);
    for name in ["admin", "clerk1", "root"] {
        assert_eq!(sprayer.login(name, "Password123!").await.status, 401);
    }
    let r = sprayer.login("owner1", &password_of("owner1")).await;
    assert_eq!(
        r.status, 429,
        "the address waits, whatever account it tries"
    );
    assert!(r.body.contains("from this network"));
    assert!(!sprayer.cookies.contains_key(SESSION));
    sprayer.login("owner1", "again-wrong").await;
    let log = actions(&app).await;
    assert_eq!(
        log.iter().filter(|a| *a == "auth.ip_throttled").count(),
        1,
        "audited once, when the limit is reached: {log:?}"
    );
    // The account itself is not locked: its failure count is untouched by the spray.
    let creds =
        controller::staff::store::credentials(&mut app.store.conn().await.unwrap(), "owner1")
            .await
            .unwrap()
            .unwrap();
    assert_eq!(creds.failed_logins, 0);
    // After the window the address may try again.
    sqlx::query("UPDATE login_throttle SET window_start = 0")
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        sprayer.login("owner1", &password_of("owner1")).await.status,
        303
    );
}

/// The lockout answer says nothing about which usernames exist: failures under a name that is
/// no account lock it out exactly like a real one.
#[tokio::test]
async fn an_unknown_username_locks_out_like_a_real_one() {
    let mut config = test_config();
    config.login.max_failures = 3;
    let app = spawn_with(config).await;
    company(&app, "Padma", &[("clerk1", "billing-clerk")]).await;
    let mut real = Client::new(&app);
    let mut ghost = Client::new(&app);
    // Two different client addresses would be more faithful; one is enough for the per-IP
    // limit (30) not to interfere.
    let mut answers = (Vec::new(), Vec::new());
    for _ in 0..5 {
        answers
            .0
            .push(real.login("clerk1", "wrong-password!").await.status);
        answers
            .1
            .push(ghost.login("no-such-clerk", "wrong-password!").await.status);
    }
    assert_eq!(
        answers.0, answers.1,
        "same answers for a real and an unknown name"
    );
    assert_eq!(answers.0, [401, 401, 401, 429, 429]);
    let real_page = real.login("clerk1", "wrong-password!").await.body;
    let ghost_page = ghost.login("no-such-clerk", "wrong-password!").await.body;
    let error = |page: &str| {
        page.split("role=alert>")
            .nth(1)
            .map(|s| s.split('<').next().unwrap_or("").to_owned())
    };
    assert_eq!(error(&real_page), error(&ghost_page));
}

/// A deactivated member cannot sign in, their sessions and API tokens stop working, and it is
/// audited; reactivating lets them in again.
#[tokio::test]
async fn deactivation_refuses_sign_in_and_revokes_sessions_and_tokens() {
    let app = spawn_app().await;
    company(
        &app,
        "Padma",
        &[("owner1", "owner"), ("support1", "support")],
    )
    .await;
    let mut owner = Client::login_as(&app, "owner1").await;
    let mut support = Client::login_as(&app, "support1").await;
    let csrf = support.get("/tokens").await.form_csrf();
    let page = support
        .post_form(
            "/tokens",
            &[
                ("csrf", &csrf),
                ("name", "script"),
                ("days", "30"),
                ("permission", "subscribers.view"),
            ],
        )
        .await;
    let token = page
        .body
        .split("<output id=new-token>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        support.bearer("GET", "/api/v1/me", &token, "").await.status,
        200
    );
    let id = support.get("/api/v1/me").await.json()["user_id"]
        .as_i64()
        .unwrap();

    let r = owner
        .json("POST", &format!("/api/v1/users/{id}/deactivate"), "")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["deactivated_at"].is_i64());
    assert_eq!(support.get("/api/v1/me").await.status, 401, "session ended");
    assert_eq!(
        support.bearer("GET", "/api/v1/me", &token, "").await.status,
        401,
        "token revoked"
    );
    let mut again = Client::new(&app);
    assert_eq!(
        again
            .login("support1", &password_of("support1"))
            .await
            .status,
        401
    );
    // Nobody deactivates themselves by mistake.
    let me = owner.get("/api/v1/me").await.json()["user_id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        owner
            .json("POST", &format!("/api/v1/users/{me}/deactivate"), "")
            .await
            .status,
        422
    );

    assert_eq!(
        owner
            .json("POST", &format!("/api/v1/users/{id}/reactivate"), "")
            .await
            .status,
        200
    );
    assert_eq!(
        again
            .login("support1", &password_of("support1"))
            .await
            .status,
        303
    );
    let log = actions(&app).await;
    assert!(
        log.contains(&"user.deactivate".to_owned())
            && log.contains(&"auth.login_deactivated".to_owned())
    );
}
