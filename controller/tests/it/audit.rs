//! The audit log records who changed what, and its hash chain exposes tampering.

use crate::helpers::{company, spawn_app, Client};
use controller::store::audit;

#[tokio::test]
async fn changes_are_audited_with_before_and_after() {
    let app = spawn_app().await;
    let padma = company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut c = Client::login_as(&app, "owner1").await;
    let id = c
        .json("POST", "/api/v1/branches", r#"{"name":"Uttara"}"#)
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    c.json(
        "PATCH",
        &format!("/api/v1/branches/{id}"),
        r#"{"name":"Uttara Sector 7"}"#,
    )
    .await;
    let entries = audit::list(&app.store, &padma.tenant, "branch.", None, 10)
        .await
        .unwrap();
    let rename = &entries[0];
    assert_eq!(rename.action, "branch.rename");
    assert_eq!(rename.before["name"], "Uttara");
    assert_eq!(rename.after["name"], "Uttara Sector 7");
    assert_eq!(rename.user_agent, "setu-test");
    assert_eq!(rename.ip, "127.0.0.1");
    assert!(rename.actor_user_id.is_some());
    let page = c.get("/audit").await.body;
    assert!(page.contains("branch.rename"));
}

#[tokio::test]
async fn tampering_with_any_entry_is_detected() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut c = Client::login_as(&app, "owner1").await;
    for name in ["A", "B", "C"] {
        c.json(
            "POST",
            "/api/v1/branches",
            &format!(r#"{{"name":"{name}"}}"#),
        )
        .await;
    }
    let n = audit::verify(&app.store).await.unwrap().unwrap();
    assert!(n >= 4, "{n}");
    sqlx::query("UPDATE audit_log SET after_json = '{\"name\":\"Z\"}' WHERE action = 'branch.create' AND after_json LIKE '%\"B\"%'")
        .execute(app.store.pool())
        .await
        .unwrap();
    let broken = audit::verify(&app.store).await.unwrap().unwrap_err();
    assert_eq!(broken.problem, "its content was changed");
}
