//! API tokens: shown once, stored hashed, limited to their permissions, expiring, revocable.

use crate::helpers::{company, spawn_app, Client};

/// Creates a token on the tokens page; returns it as shown.
async fn create_token(c: &mut Client, name: &str, permissions: &[&str]) -> String {
    let csrf = c.get("/tokens").await.form_csrf();
    let mut fields = vec![("csrf", csrf.as_str()), ("name", name), ("days", "30")];
    fields.extend(permissions.iter().map(|p| ("permission", *p)));
    let r = c.post_form("/tokens", &fields).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let at = r.body.find("<output id=new-token>").expect("token shown") + 21;
    r.body[at..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_token_works_only_for_its_permissions_and_until_revoked() {
    let app = spawn_app().await;
    let padma = company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut owner = Client::login_as(&app, "owner1").await;
    let token = create_token(&mut owner, "billing script", &["branches.view"]).await;
    assert!(token.starts_with("setu_") && token.len() > 60);
    // Shown once: not on the page again, and not in the database.
    assert!(!owner.get("/tokens").await.body.contains(&token));
    let stored = sqlx::query("SELECT token_hash FROM api_tokens")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let hash: String = sqlx::Row::get(&stored, "token_hash");
    assert_ne!(hash, token);
    assert_eq!(hash, controller::kernel::random::sha256_hex(&token));

    let mut script = Client::new(&app);
    let r = script.bearer("GET", "/api/v1/branches", &token, "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["items"][0]["id"], padma.branch.id.0);
    // Beyond its permissions, even though the owner could.
    let r = script
        .bearer("POST", "/api/v1/branches", &token, r#"{"name":"X"}"#)
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        script
            .bearer("GET", "/api/v1/users", &token, "")
            .await
            .status,
        403
    );
    // Pages do not take tokens.
    let r = script.bearer("GET", "/branches", &token, "").await;
    assert_eq!(r.status, 303);
    // A wrong token is nobody.
    let r = script
        .bearer("GET", "/api/v1/branches", "setu_0000", "")
        .await;
    assert_eq!(r.status, 401);

    let id = sqlx::query("SELECT id FROM api_tokens")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let id: i64 = sqlx::Row::get(&id, "id");
    let csrf = owner.get("/tokens").await.form_csrf();
    let r = owner
        .post_form(&format!("/tokens/{id}/revoke"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        script
            .bearer("GET", "/api/v1/branches", &token, "")
            .await
            .status,
        401
    );
    let log = owner.get("/api/v1/audit?action=api_token.").await.json();
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["api_token.revoke", "api_token.create"]);
    assert!(
        !log.to_string().contains(&token),
        "the secret is never logged"
    );
}

#[tokio::test]
async fn tokens_expire_need_no_csrf_and_follow_their_owners_role() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("manager1", "manager")]).await;
    let mut manager = Client::login_as(&app, "manager1").await;
    let token = create_token(&mut manager, "sync", &["branches.view", "branches.manage"]).await;
    let mut script = Client::new(&app);
    let r = script
        .bearer("POST", "/api/v1/branches", &token, r#"{"name":"Savar"}"#)
        .await;
    assert_eq!(r.status, 201, "no CSRF token needed with a bearer token");

    // Asking for a permission the manager lacks is refused.
    let csrf = manager.get("/tokens").await.form_csrf();
    let r = manager
        .post_form(
            "/tokens",
            &[
                ("csrf", &csrf),
                ("name", "too much"),
                ("days", "30"),
                ("permission", "settings.manage"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let r = manager
        .post_form(
            "/tokens",
            &[("csrf", &csrf), ("name", "none"), ("days", "30")],
        )
        .await;
    assert_eq!(r.status, 422, "at least one permission");

    // The manager is demoted to collector: the token loses what the role lost.
    sqlx::query("UPDATE memberships SET role_id = (SELECT id FROM roles WHERE name = 'collector' AND company_id = memberships.company_id)")
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        script
            .bearer("GET", "/api/v1/branches", &token, "")
            .await
            .status,
        403
    );
    sqlx::query("UPDATE memberships SET role_id = (SELECT id FROM roles WHERE name = 'manager' AND company_id = memberships.company_id)")
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        script
            .bearer("GET", "/api/v1/branches", &token, "")
            .await
            .status,
        200
    );
    sqlx::query("UPDATE api_tokens SET expires_at = 1")
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        script
            .bearer("GET", "/api/v1/branches", &token, "")
            .await
            .status,
        401,
        "expired"
    );
    assert!(manager.get("/tokens").await.body.contains("expired"));
}
