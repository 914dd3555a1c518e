//! Staff management: creating users with roles, privilege limits, password resets.

use crate::helpers::{company, password_of, spawn_app, Client};

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
    let mut work = app.read(padma.scope).await;
    let staff = controller::staff::store::members(
        &mut work,
        &controller::kernel::http::list::PageQuery::first(500),
    )
    .await
    .unwrap()
    .items;
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
    assert!(
        controller::staff::store::credentials(&mut app.store.conn().await.unwrap(), "sneaky")
            .await
            .unwrap()
            .is_none()
    );
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

/// The review's takeover: a manager (who holds `users.manage`) must not reset the owner's
/// password, remove the owner's second factor, deactivate the owner or revoke the owner's
/// tokens; staff below the manager are theirs to help.
#[tokio::test]
async fn nobody_resets_the_credentials_of_someone_holding_more_than_they_do() {
    let app = spawn_app().await;
    company(
        &app,
        "Padma",
        &[
            ("owner1", "owner"),
            ("manager1", "manager"),
            ("support1", "support"),
        ],
    )
    .await;
    let mut owner = Client::login_as(&app, "owner1").await;
    let owner_id = owner.get("/api/v1/me").await.json()["user_id"]
        .as_i64()
        .unwrap();
    let csrf = owner.get("/tokens").await.form_csrf();
    let page = owner
        .post_form(
            "/tokens",
            &[
                ("csrf", &csrf),
                ("name", "owner script"),
                ("days", "30"),
                ("permission", "branches.view"),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    let tokens = owner
        .get(&format!("/api/v1/users/{owner_id}/tokens"))
        .await
        .json();
    let token_id = tokens["items"][0]["id"].as_i64().unwrap();

    let mut manager = Client::login_as(&app, "manager1").await;
    for (method, path, body) in [
        (
            "POST",
            format!("/api/v1/users/{owner_id}/password"),
            r#"{"password":"taken-over-pw"}"#,
        ),
        (
            "DELETE",
            format!("/api/v1/users/{owner_id}/second-factor"),
            "",
        ),
        ("POST", format!("/api/v1/users/{owner_id}/deactivate"), ""),
        ("GET", format!("/api/v1/users/{owner_id}/tokens"), ""),
        (
            "POST",
            format!("/api/v1/users/{owner_id}/tokens/{token_id}/revoke"),
            "",
        ),
    ] {
        let r = manager.json(method, &path, body).await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
    }
    // The owner's password still works, and their token too.
    assert_eq!(
        Client::new(&app)
            .login("owner1", &password_of("owner1"))
            .await
            .status,
        303
    );
    let mut script = Client::new(&app);
    let token_text = page
        .body
        .split("<output id=new-token>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        script
            .bearer("GET", "/api/v1/branches", &token_text, "")
            .await
            .status,
        200
    );

    // Support staff are below the manager: a reset works and revokes their tokens too.
    let mut support = Client::login_as(&app, "support1").await;
    let support_id = support.get("/api/v1/me").await.json()["user_id"]
        .as_i64()
        .unwrap();
    let csrf = support.get("/tokens").await.form_csrf();
    let page = support
        .post_form(
            "/tokens",
            &[
                ("csrf", &csrf),
                ("name", "s"),
                ("days", "7"),
                ("permission", "subscribers.view"),
            ],
        )
        .await;
    let support_token = page
        .body
        .split("<output id=new-token>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let listed = manager
        .get(&format!("/api/v1/users/{support_id}/tokens"))
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let r = manager
        .json(
            "POST",
            &format!("/api/v1/users/{support_id}/password"),
            r#"{"password":"a-new-support-pw"}"#,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        script
            .bearer("GET", "/api/v1/me", &support_token, "")
            .await
            .status,
        401,
        "token revoked by the reset"
    );
    let log = manager
        .get("/api/v1/audit?action=user.password_reset")
        .await
        .json();
    assert_eq!(log["items"][0]["after"]["tokens_revoked"], 1);
}
