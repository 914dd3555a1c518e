//! Staff management: creating users with roles, privilege limits, password resets.

use crate::helpers::{company, spawn_app, Client};

#[tokio::test]
async fn an_owner_adds_staff_who_can_then_sign_in_with_that_roles_rights() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut owner = Client::login_as(&app, "owner1").await;
    let page = owner.get("/users").await;
    let csrf = page.form_csrf();
    let r = owner
        .post_form(
            "/users",
            &[
                ("csrf", &csrf),
                ("username", "Tech.One"),
                ("display_name", "Tech One"),
                ("password", "long-enough-pw"),
                ("role", "technician"),
                ("branch_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(owner
        .get("/users")
        .await
        .body
        .contains("<td>tech.one</td><td>Tech One</td><td>Technician</td>"));
    let mut tech = Client::new(&app);
    assert_eq!(tech.login("tech.one", "long-enough-pw").await.status, 303);
    let me = tech.get("/api/v1/me").await.json();
    assert_eq!(me["role"], "technician");
    assert_eq!(tech.get("/users").await.status, 403);
}

#[tokio::test]
async fn invalid_staff_forms_name_every_bad_field_and_create_nothing() {
    let app = spawn_app().await;
    let padma = company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut owner = Client::login_as(&app, "owner1").await;
    let r = owner
        .json(
            "POST",
            "/api/v1/users",
            r#"{"username":"x","display_name":"","password":"short","role":"wizard"}"#,
        )
        .await;
    assert_eq!(r.status, 422);
    let fields: Vec<String> = r.json()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["username", "display_name", "password", "role"]);
    let r = owner.json("POST", "/api/v1/users", r#"{"username":"owner1","display_name":"Dup","password":"long-enough-pw","role":"support"}"#).await;
    assert_eq!(r.json()["fields"][0]["code"], "field.taken");
    let staff = controller::store::users::list(&app.store, &padma.tenant)
        .await
        .unwrap();
    assert_eq!(staff.len(), 1);
    // The page shows the errors next to the fields.
    let csrf = owner.get("/users").await.form_csrf();
    let r = owner
        .post_form(
            "/users",
            &[
                ("csrf", &csrf),
                ("username", "ok.name"),
                ("display_name", "OK"),
                ("password", "short"),
                ("role", "support"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("id=new-password name=password type=password value=\"\" aria-invalid=true"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn nobody_can_grant_more_than_they_hold_or_use_another_companys_branch() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("manager1", "manager")]).await;
    let other = company(&app, "Meghna", &[]).await;
    let mut manager = Client::login_as(&app, "manager1").await;
    let r = manager.json("POST", "/api/v1/users", r#"{"username":"new.owner","display_name":"N","password":"long-enough-pw","role":"owner"}"#).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["fields"][0]["code"], "users.role_above_yours");
    let body = format!(
        r#"{{"username":"sneaky","display_name":"S","password":"long-enough-pw","role":"support","branch_id":{}}}"#,
        other.branch.id
    );
    let r = manager.json("POST", "/api/v1/users", &body).await;
    assert_eq!(r.json()["fields"][0]["code"], "users.unknown_branch");
    assert!(controller::store::users::credentials(&app.store, "sneaky")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_password_reset_ends_the_users_sessions_and_stays_within_the_company() {
    let app = spawn_app().await;
    company(
        &app,
        "Padma",
        &[("owner1", "owner"), ("clerk1", "billing-clerk")],
    )
    .await;
    company(&app, "Meghna", &[("meghna-owner", "owner")]).await;
    let mut clerk = Client::login_as(&app, "clerk1").await;
    let clerk_id = clerk.get("/api/v1/me").await.json()["user_id"]
        .as_i64()
        .unwrap();
    let mut outsider = Client::login_as(&app, "meghna-owner").await;
    let r = outsider
        .json(
            "POST",
            &format!("/api/v1/users/{clerk_id}/password"),
            r#"{"password":"hijacked-password"}"#,
        )
        .await;
    assert_eq!(r.status, 404, "another company's staff is invisible");

    let mut owner = Client::login_as(&app, "owner1").await;
    let r = owner
        .json(
            "POST",
            &format!("/api/v1/users/{clerk_id}/password"),
            r#"{"password":"new-clerk-password"}"#,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        clerk.get("/api/v1/me").await.status,
        401,
        "old sessions ended"
    );
    assert_eq!(
        clerk.login("clerk1", "new-clerk-password").await.status,
        303
    );
}
