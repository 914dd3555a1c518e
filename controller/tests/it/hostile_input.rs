//! SQL metacharacters, markup and odd Unicode in every text field: stored and shown verbatim,
//! escaped on pages, and no table harmed.

use crate::helpers::{company, spawn_app, Client};
use controller::bootstrap;

const NASTY: &[&str] = &[
    "Robert'); DROP TABLE branches;--",
    "x' OR '1'='1",
    "\" OR \"\"=\"",
    "100% _done_ \\ back\\slash",
    "$1 $2 ? :name @p1",
    "মিরপুর ১০ 😀",
    // Last, so the settings page still shows it at the end.
    "<script>alert(1)</script>",
];

async fn table_count(app: &crate::helpers::TestApp, table: &str) -> i64 {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM {table}"
    )))
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    sqlx::Row::get(&row, "n")
}

#[tokio::test]
async fn every_text_field_takes_metacharacters_verbatim() {
    let app = spawn_app().await;
    bootstrap::create_platform_admin(&app.store, "root", "root-password-123")
        .await
        .unwrap();
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut owner = Client::login_as(&app, "owner1").await;
    let mut root = Client::new(&app);
    root.login("root", "root-password-123").await;
    let users_before = table_count(&app, "users").await;

    for (i, nasty) in NASTY.iter().enumerate() {
        let text = serde_json::to_string(nasty).unwrap();
        // Branch name.
        let r = owner
            .json("POST", "/api/v1/branches", &format!(r#"{{"name":{text}}}"#))
            .await;
        assert_eq!(r.status, 201, "{nasty}: {}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let back = owner.get(&format!("/api/v1/branches/{id}")).await.json();
        assert_eq!(back["name"], *nasty);
        // Role name.
        let r = owner
            .json(
                "POST",
                "/api/v1/roles",
                &format!(r#"{{"name":{text},"permissions":["dashboard.view"]}}"#),
            )
            .await;
        assert_eq!(r.status, 201, "{nasty}: {}", r.body);
        assert_eq!(r.json()["name"], *nasty);
        // Staff display name (usernames are a closed alphabet and refuse these).
        let r = owner
            .json(
                "POST",
                "/api/v1/users",
                &format!(
                    r#"{{"username":"staff{i}","display_name":{text},"password":"long-enough-pw","role":"support"}}"#
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{nasty}: {}", r.body);
        assert_eq!(r.json()["display_name"], *nasty);
        let r = owner
            .json(
                "POST",
                "/api/v1/users",
                &format!(
                    r#"{{"username":{text},"display_name":"x","password":"long-enough-pw","role":"support"}}"#
                ),
            )
            .await;
        assert_eq!(r.status, 422, "{nasty}");
        // Company settings.
        let r = owner
            .json(
                "PUT",
                "/api/v1/settings",
                &format!(
                    r#"{{"legal_name":{text},"phone":"","address":{text},"licence_no":{text}}}"#
                ),
            )
            .await;
        assert_eq!(r.status, 200, "{nasty}: {}", r.body);
        let back = owner.get("/api/v1/settings").await.json();
        assert_eq!(back["legal_name"], *nasty);
        assert_eq!(back["address"], *nasty);
        // Company name.
        let r = root
            .json(
                "POST",
                "/api/v1/companies",
                &format!(r#"{{"name":{text}}}"#),
            )
            .await;
        assert_eq!(r.status, 201, "{nasty}: {}", r.body);
        assert_eq!(r.json()["name"], *nasty);
        // Filters: taken literally, they match nothing.
        let q = controller::kernel::http::form::urlencode(nasty);
        for filter in ["action", "entity", "entity_id"] {
            let r = owner.get(&format!("/api/v1/audit?{filter}={q}")).await;
            assert_eq!(r.status, 200, "{filter}={nasty}");
            assert!(
                r.json()["items"].as_array().unwrap().is_empty(),
                "{filter}={nasty}"
            );
        }
        // Login form.
        let r = Client::new(&app).login(nasty, nasty).await;
        assert_eq!(r.status, 401, "{nasty}");
    }
    // Token names go through the page form.
    let csrf = owner.get("/tokens").await.form_csrf();
    for nasty in NASTY {
        let r = owner
            .post_form(
                "/tokens",
                &[
                    ("csrf", &csrf),
                    ("name", nasty),
                    ("days", "7"),
                    ("permission", "branches.view"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{nasty}");
    }

    // Pages escape what they show.
    for page in ["/branches", "/users", "/roles", "/tokens", "/settings"] {
        let body = owner.get(page).await.body;
        assert!(!body.contains("<script>alert"), "{page} shows raw markup");
        assert!(
            body.contains("&lt;script&gt;"),
            "{page} shows the escaped text"
        );
    }
    // Nothing was dropped or widened.
    assert_eq!(table_count(&app, "branches").await, 1 + NASTY.len() as i64);
    assert_eq!(
        table_count(&app, "users").await,
        users_before + NASTY.len() as i64
    );
    assert!(app.audit_intact().await);
}
