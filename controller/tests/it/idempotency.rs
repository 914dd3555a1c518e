//! `Idempotency-Key` on creating POSTs: a retried request creates nothing new.

use crate::helpers::{company, spawn_app, Client, Response};

async fn send(c: &mut Client, csrf: &str, body: &str, key: &str) -> Response {
    c.request(
        "POST",
        "/api/v1/branches",
        Some("application/json"),
        body.as_bytes(),
        &[("x-csrf-token", csrf), ("Idempotency-Key", key)],
    )
    .await
}

#[tokio::test]
async fn a_retried_create_returns_the_first_answer_and_creates_once() {
    let app = spawn_app().await;
    let padma = company(
        &app,
        "Padma",
        &[("owner1", "owner"), ("manager1", "manager")],
    )
    .await;
    let mut c = Client::login_as(&app, "owner1").await;
    let csrf = c.csrf().await;
    let before = app.branch_count(padma.scope).await;
    let first = send(&mut c, &csrf, r#"{"name":"Uttara"}"#, "k-1").await;
    assert_eq!(first.status, 201);
    assert!(first.header("idempotent-replayed").is_none());
    let again = send(&mut c, &csrf, r#"{"name":"Uttara"}"#, "k-1").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json(), "the same answer, same id");
    assert_eq!(app.branch_count(padma.scope).await, before + 1);
    // The same key for another request is refused and changes nothing.
    let other = send(&mut c, &csrf, r#"{"name":"Banani"}"#, "k-1").await;
    assert_eq!(other.status, 422);
    assert_eq!(other.json()["code"], "idempotency_key_reused");
    // A refused request is remembered as refused: the retry is the first answer replayed, not a
    // second attempt that happens to conflict too.
    let dup = send(&mut c, &csrf, r#"{"name":"Uttara"}"#, "k-2").await;
    assert_eq!(dup.status, 409);
    assert!(dup.header("idempotent-replayed").is_none());
    let retry = send(&mut c, &csrf, r#"{"name":"Uttara"}"#, "k-2").await;
    assert_eq!(retry.status, 409);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json(), dup.json());
    // Keys belong to their user: the manager's k-1 is a different key.
    let mut manager = Client::login_as(&app, "manager1").await;
    let csrf_m = manager.csrf().await;
    let r = send(&mut manager, &csrf_m, r#"{"name":"Banani"}"#, "k-1").await;
    assert_eq!(r.status, 201);
    assert_eq!(app.branch_count(padma.scope).await, before + 2);
    // Bad keys are refused.
    assert_eq!(
        send(&mut c, &csrf, r#"{"name":"Savar"}"#, "").await.status,
        400
    );
    assert_eq!(
        send(&mut c, &csrf, r#"{"name":"Savar"}"#, &"x".repeat(300))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn a_key_still_in_flight_is_refused_and_expired_keys_are_forgotten() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut c = Client::login_as(&app, "owner1").await;
    let csrf = c.csrf().await;
    let me = c.get("/api/v1/me").await.json()["user_id"]
        .as_i64()
        .unwrap();
    // As if a first request with this key were still running.
    let body = r#"{"name":"Gulshan"}"#;
    let fingerprint =
        controller::kernel::random::sha256_hex(&format!("POST /api/v1/branches\n{body}"));
    sqlx::query("INSERT INTO idempotency_keys (user_id, idem_key, fingerprint, status, body, created_at) VALUES ($1, 'busy', $2, 0, '', $3)")
        .bind(me)
        .bind(fingerprint)
        .bind(controller::kernel::db::now_ms())
        .execute(app.store.pool())
        .await
        .unwrap();
    let r = send(&mut c, &csrf, body, "busy").await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["code"], "idempotency_in_progress");
    // A day later the key is free again.
    sqlx::query("UPDATE idempotency_keys SET created_at = 0")
        .execute(app.store.pool())
        .await
        .unwrap();
    let r = send(&mut c, &csrf, body, "busy").await;
    assert_eq!(r.status, 201);
    // The hourly clean-up removes keys past their day, and only those.
    let (kept, old) = ("fresh", "stale");
    for key in [kept, old] {
        send(&mut c, &csrf, &format!(r#"{{"name":"{key}"}}"#), key).await;
    }
    sqlx::query("UPDATE idempotency_keys SET created_at = 0 WHERE idem_key = $1")
        .bind(old)
        .execute(app.store.pool())
        .await
        .unwrap();
    let removed = controller::kernel::http::idempotency::purge_expired(&app.store)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    let left: Vec<String> =
        sqlx::query_scalar("SELECT idem_key FROM idempotency_keys ORDER BY idem_key")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    assert_eq!(left, ["busy", kept]);
}
