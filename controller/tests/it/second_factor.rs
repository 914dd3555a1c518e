//! TOTP as a second step of signing in: set up, the code step, replays, timeouts, lockout, the
//! administrator's reset.

use crate::helpers::{company, password_of, spawn_app, spawn_with, test_config, Client};
use controller::staff::totp;

/// The secret shown on the account page while setting up.
fn secret_on(page: &str) -> Vec<u8> {
    let at = page.find("<code id=totp-secret>").expect("secret shown") + 21;
    let text = page[at..].split('<').next().unwrap();
    totp::base32_decode(text).unwrap()
}

fn code(secret: &[u8], steps_ahead: i64) -> String {
    let step = totp::step_of(controller::kernel::db::now_ms() / 1000) + steps_ahead;
    format!("{:06}", totp::code_at_step(secret, step))
}

/// Signs in `username` and turns the second factor on; returns the client, the secret and the
/// code that confirmed it.
async fn enable(app: &crate::helpers::TestApp, username: &str) -> (Client, Vec<u8>, String) {
    let mut c = Client::login_as(app, username).await;
    let page = c.get("/account").await;
    assert!(
        page.body.contains("id=second-factor-status"),
        "{}",
        page.body
    );
    let csrf = page.form_csrf();
    let r = c
        .post_form("/account/second-factor/start", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 303);
    let secret = secret_on(&c.get("/account").await.body);
    // A wrong code does not turn it on.
    let r = c
        .post_form(
            "/account/second-factor/confirm",
            &[("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=code-error"));
    let confirming = code(&secret, 0);
    let r = c
        .post_form(
            "/account/second-factor/confirm",
            &[("csrf", &csrf), ("code", &confirming)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = c.get("/account").await.body;
    assert!(page.contains("class=notice"), "on: {page}");
    (c, secret, confirming)
}

/// The password step; returns the client waiting at the code step.
async fn password_step(app: &crate::helpers::TestApp, username: &str) -> Client {
    let mut c = Client::new(app);
    let r = c.login(username, &password_of(username)).await;
    assert_eq!(r.status, 303);
    assert!(
        r.header("location").unwrap().starts_with("/login/code"),
        "{:?}",
        r.header("location")
    );
    assert!(!c.cookies.contains_key("__Host-setu_session"));
    c
}

async fn submit_code(c: &mut Client, code: &str) -> crate::helpers::Response {
    let form = c.get("/login/code?next=/").await;
    assert!(form.body.contains("autocomplete=one-time-code"));
    let csrf = form.form_csrf();
    c.post_form(
        "/login/code",
        &[("csrf", &csrf), ("code", code), ("next", "/")],
    )
    .await
}

#[tokio::test]
async fn with_a_second_factor_the_password_alone_is_not_enough() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let (_, secret, used_by_setup) = enable(&app, "owner1").await;

    let mut c = password_step(&app, "owner1").await;
    // The pending login is no session.
    assert_eq!(c.get("/api/v1/me").await.status, 401);
    let wrong = submit_code(&mut c, "123456").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("wrong or was already used"));
    let r = submit_code(&mut c, &used_by_setup).await;
    assert_eq!(
        r.status, 401,
        "the code confirmed at setup cannot be replayed"
    );
    let fresh = code(&secret, 1);
    let r = submit_code(&mut c, &fresh).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(c.get("/api/v1/me").await.json()["username"], "owner1");
    assert!(!c.cookies.contains_key("__Host-setu_pending"));

    // The same code again, on a fresh password step, is refused.
    let mut again = password_step(&app, "owner1").await;
    assert_eq!(submit_code(&mut again, &fresh).await.status, 401);

    let log = sqlx::query("SELECT action, after_json FROM audit_log WHERE action LIKE 'auth.%' OR action LIKE 'user.%' ORDER BY id")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    let actions: Vec<String> = log
        .iter()
        .map(|r| sqlx::Row::get::<String, _>(r, "action"))
        .collect();
    assert!(actions.contains(&"user.second_factor_enabled".to_owned()));
    assert!(
        actions.iter().filter(|a| *a == "auth.code_failed").count() >= 3,
        "{actions:?}"
    );
    let last_login: String = log
        .iter()
        .filter(|r| sqlx::Row::get::<String, _>(*r, "action") == "auth.login")
        .map(|r| sqlx::Row::get::<String, _>(r, "after_json"))
        .next_back()
        .unwrap();
    assert_eq!(last_login, r#"{"second_factor":true}"#);
}

#[tokio::test]
async fn the_code_step_expires_and_wrong_codes_lock_the_account() {
    let mut config = test_config();
    config.login.max_failures = 3;
    let app = spawn_with(config).await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let (_, secret, _) = enable(&app, "owner1").await;

    let mut slow = password_step(&app, "owner1").await;
    sqlx::query("UPDATE sessions SET created_at = created_at - 600000 WHERE mfa_pending = 1")
        .execute(app.store.pool())
        .await
        .unwrap();
    let r = submit_code(&mut slow, &code(&secret, 1)).await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("timed out"), "back to the password step");

    let mut guesser = password_step(&app, "owner1").await;
    for _ in 0..3 {
        assert_eq!(submit_code(&mut guesser, "111111").await.status, 401);
    }
    let r = submit_code(&mut guesser, &code(&secret, 1)).await;
    assert_eq!(r.status, 429, "locked even with the right code");
    assert_eq!(guesser.get("/api/v1/me").await.status, 401);
}

#[tokio::test]
async fn turning_it_off_needs_a_code_and_an_admin_can_reset_it() {
    let app = spawn_app().await;
    company(
        &app,
        "Padma",
        &[("owner1", "owner"), ("tech1", "technician")],
    )
    .await;
    let (mut tech, _, _) = enable(&app, "tech1").await;
    let csrf = tech.get("/account").await.form_csrf();
    let r = tech
        .post_form(
            "/account/second-factor/disable",
            &[("csrf", &csrf), ("code", "999999")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        controller::staff::store::credentials(&mut app.store.conn().await.unwrap(), "tech1")
            .await
            .unwrap()
            .unwrap()
            .has_second_factor
    );

    // The technician lost the phone: the owner resets the second factor.
    let tech_id = tech.get("/api/v1/me").await.json()["user_id"].clone();
    let mut owner = Client::login_as(&app, "owner1").await;
    let r = owner
        .json(
            "DELETE",
            &format!("/api/v1/users/{tech_id}/second-factor"),
            "",
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(tech.get("/api/v1/me").await.status, 401, "sessions ended");
    // The password alone works again.
    Client::login_as(&app, "tech1").await;
}
