//! Companies (platform admin), roles and permissions, company settings.

use crate::helpers::{company, spawn_app, Client};
use controller::bootstrap;

#[tokio::test]
async fn the_platform_admin_adds_companies_and_works_in_them() {
    let app = spawn_app().await;
    bootstrap::create_platform_admin(&app.store, "root", "root-password-123")
        .await
        .unwrap();
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut root = Client::new(&app);
    assert_eq!(root.login("root", "root-password-123").await.status, 303);
    let page = root.get("/companies").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Padma"));
    let csrf = page.form_csrf();
    let r = root
        .post_form("/companies", &[("csrf", &csrf), ("name", "Meghna Net")])
        .await;
    assert_eq!(r.status, 303);
    let r = root
        .post_form("/companies", &[("csrf", &csrf), ("name", "Meghna Net")])
        .await;
    assert_eq!(r.status, 422, "names are unique");
    assert!(r.body.contains("already used"));
    let r = root
        .json("POST", "/api/v1/companies", r#"{"name":"Jamuna ISP"}"#)
        .await;
    assert_eq!(r.status, 201);
    let jamuna = r.json()["id"].as_i64().unwrap();
    let all = root.get("/api/v1/companies").await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 3);

    // Work in Jamuna: its seeded roles are there, its log has its creation.
    let r = root
        .post_form(
            "/session/company",
            &[("csrf", &csrf), ("company_id", &jamuna.to_string())],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(root.get("/").await.body.contains("Jamuna ISP"));
    let roles = root.get("/api/v1/roles").await.json();
    assert_eq!(roles["items"].as_array().unwrap().len(), 7);
    let log = root.get("/api/v1/audit?action=company.").await.json();
    assert_eq!(log["items"][0]["action"], "company.create");
    let r = root
        .post_form(
            "/session/company",
            &[("csrf", &csrf), ("company_id", "999999")],
        )
        .await;
    assert_eq!(r.status, 404);

    // Company staff cannot manage companies, nor move into one they do not belong to.
    let mut owner = Client::login_as(&app, "owner1").await;
    assert_eq!(owner.get("/companies").await.status, 403);
    assert_eq!(
        owner
            .json("POST", "/api/v1/companies", r#"{"name":"Rogue"}"#)
            .await
            .status,
        403
    );
    let csrf = owner.get("/account").await.form_csrf();
    let r = owner
        .post_form(
            "/session/company",
            &[("csrf", &csrf), ("company_id", &jamuna.to_string())],
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(owner.get("/").await.body.contains("Padma"));
}

#[tokio::test]
async fn roles_grant_only_what_their_editor_holds_and_the_owner_role_is_fixed() {
    let app = spawn_app().await;
    let padma = company(
        &app,
        "Padma",
        &[("owner1", "owner"), ("tech1", "technician")],
    )
    .await;
    let mut owner = Client::login_as(&app, "owner1").await;
    let r = owner
        .json(
            "POST",
            "/api/v1/roles",
            r#"{"name":"night shift","permissions":["dashboard.view","subscribers.view","roles.manage","users.view"]}"#,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = owner
        .json(
            "POST",
            "/api/v1/roles",
            r#"{"name":"night shift","permissions":[]}"#,
        )
        .await;
    assert_eq!(r.status, 409, "a duplicate is a conflict, as everywhere");
    assert_eq!(r.json()["code"], "conflict");
    assert_eq!(r.json()["fields"][0]["code"], "field.taken");
    let r = owner
        .json(
            "POST",
            "/api/v1/roles",
            r#"{"name":"x","permissions":["companies.manage"]}"#,
        )
        .await;
    assert_eq!(r.json()["fields"][0]["code"], "roles.unknown_permission");

    let roles = owner.get("/api/v1/roles").await.json();
    let id_of = |name: &str| {
        roles["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let r = owner
        .json(
            "PATCH",
            &format!("/api/v1/roles/{}", id_of("owner")),
            r#"{"permissions":["dashboard.view"]}"#,
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["fields"][0]["code"], "roles.owner_fixed");
    let r = owner
        .json(
            "DELETE",
            &format!("/api/v1/roles/{}", id_of("technician")),
            "",
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["code"], "in_use");
    assert_eq!(r.json()["held_by"]["staff"], 1, "{}", r.body);

    // A night-shift lead may edit roles but not grant plans.manage, which they lack.
    bootstrap::create_staff(
        &app.state,
        padma.scope,
        "lead1",
        "Lead",
        "lead1-pw-123",
        "night shift",
    )
    .await
    .unwrap();
    let mut lead = Client::login_as(&app, "lead1").await;
    let page = lead.get("/roles").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("value=\"plans.manage\" disabled"),
        "ungrantable boxes are disabled"
    );
    let csrf = page.form_csrf();
    let r = lead
        .post_form(
            &format!("/roles/{}", id_of("support")),
            &[("csrf", &csrf), ("permission", "plans.manage")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("you do not have"));
    let r = lead
        .post_form(
            &format!("/roles/{}", id_of("support")),
            &[
                ("csrf", &csrf),
                ("permission", "dashboard.view"),
                ("permission", "subscribers.view"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let support = owner.get("/api/v1/roles").await.json();
    let support = support["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "support")
        .unwrap()
        .clone();
    assert_eq!(
        support["permissions"],
        serde_json::json!(["dashboard.view", "subscribers.view"])
    );
    // An unused role can go; the log has before and after of every step.
    let r = owner
        .json(
            "POST",
            "/api/v1/roles",
            r#"{"name":"temp","permissions":["dashboard.view"]}"#,
        )
        .await;
    let temp = r.json()["id"].as_i64().unwrap();
    let csrf = owner.get("/roles").await.form_csrf();
    let r = owner
        .post_form(&format!("/roles/{temp}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 303);
    let log = owner.get("/api/v1/audit?entity=role").await.json();
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["role.delete", "role.create", "role.update", "role.create"]
    );
    // The technician may not see the roles page at all.
    let mut tech = Client::login_as(&app, "tech1").await;
    assert_eq!(tech.get("/roles").await.status, 403);
}

#[tokio::test]
async fn settings_validate_bangladeshi_phones_and_change_nothing_on_error() {
    let app = spawn_app().await;
    company(
        &app,
        "Padma",
        &[("owner1", "owner"), ("manager1", "manager")],
    )
    .await;
    let mut owner = Client::login_as(&app, "owner1").await;
    let r = owner
        .json(
            "PUT",
            "/api/v1/settings",
            r#"{"legal_name":"Padma Net Ltd.","phone":"+880 1712-345678","address":"House 12, Road 3, Mirpur, Dhaka","licence_no":"ISP-C-123"}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["phone"], "01712345678");
    let r = owner
        .json(
            "PUT",
            "/api/v1/settings",
            r#"{"legal_name":"Changed","phone":"12345","address":"","licence_no":""}"#,
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["fields"][0]["field"], "phone");
    let r = owner
        .json("PUT", "/api/v1/settings", r#"{"legal_name":"x"}"#)
        .await;
    assert_eq!(r.status, 400, "every field is required: {}", r.body);
    let now = owner.get("/api/v1/settings").await.json();
    assert_eq!(now["legal_name"], "Padma Net Ltd.");

    let page = owner.get("/settings").await;
    assert!(page.body.contains("value=\"01712345678\""));
    let csrf = page.form_csrf();
    let r = owner
        .post_form(
            "/settings",
            &[
                ("csrf", &csrf),
                ("legal_name", "Padma Net Ltd."),
                ("phone", "0171"),
                ("address", "Mirpur"),
                ("licence_no", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("aria-invalid=true") && r.body.contains("Bangladeshi number"));
    let log = owner.get("/api/v1/audit?action=settings.").await.json();
    assert_eq!(
        log["items"].as_array().unwrap().len(),
        1,
        "one successful change"
    );
    assert_eq!(log["items"][0]["after"]["licence_no"], "ISP-C-123");

    let mut manager = Client::login_as(&app, "manager1").await;
    assert_eq!(manager.get("/settings").await.status, 403);
}
