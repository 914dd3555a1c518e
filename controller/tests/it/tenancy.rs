//! A user of company A can neither see nor change company B's rows, whatever ids they send.

use crate::helpers::{company, spawn_app, Client};
use controller::store::branches;

#[tokio::test]
async fn another_companys_branches_cannot_be_read_changed_or_deleted() {
    let app = spawn_app().await;
    let a = company(&app, "Alpha Net", &[("alpha-owner", "owner")]).await;
    let b = company(&app, "Beta Net", &[("beta-owner", "owner")]).await;
    let mut alpha = Client::login_as(&app, "alpha-owner").await;
    let theirs = b.branch.id.0;

    let list = alpha.get("/api/v1/branches?limit=500").await.json();
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![a.branch.id.0], "only Alpha's branches are listed");
    // Keyset pagination cannot be steered into another company either.
    let after = alpha
        .get(&format!("/api/v1/branches?after={}", theirs - 1))
        .await
        .json();
    assert!(after["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["company_id"] == a.tenant.company.0));

    assert_eq!(
        alpha
            .get(&format!("/api/v1/branches/{theirs}"))
            .await
            .status,
        404
    );
    assert_eq!(
        alpha
            .json(
                "PATCH",
                &format!("/api/v1/branches/{theirs}"),
                r#"{"name":"taken over"}"#
            )
            .await
            .status,
        404
    );
    assert_eq!(
        alpha
            .json("DELETE", &format!("/api/v1/branches/{theirs}"), "")
            .await
            .status,
        404
    );

    let still = branches::get(&app.store, &b.tenant, b.branch.id)
        .await
        .unwrap();
    assert_eq!(still.name, b.branch.name, "Beta's branch unchanged");
    let page = alpha.get("/branches").await.body;
    assert!(
        !page.contains(&b.branch.name),
        "Beta's branch not on Alpha's page"
    );
}

#[tokio::test]
async fn the_same_branch_name_may_exist_in_two_companies() {
    let app = spawn_app().await;
    company(&app, "Alpha Net", &[("alpha-owner", "owner")]).await;
    company(&app, "Beta Net", &[("beta-owner", "owner")]).await;
    let mut alpha = Client::login_as(&app, "alpha-owner").await;
    let mut beta = Client::login_as(&app, "beta-owner").await;
    assert_eq!(
        alpha
            .json("POST", "/api/v1/branches", r#"{"name":"Mirpur"}"#)
            .await
            .status,
        201
    );
    assert_eq!(
        beta.json("POST", "/api/v1/branches", r#"{"name":"Mirpur"}"#)
            .await
            .status,
        201
    );
    assert_eq!(
        alpha
            .json("POST", "/api/v1/branches", r#"{"name":"Mirpur"}"#)
            .await
            .status,
        409
    );
}

#[tokio::test]
async fn a_branch_limited_user_sees_only_their_branch() {
    let app = spawn_app().await;
    let a = company(&app, "Alpha Net", &[]).await;
    let second = branches::create(&app.store, &a.tenant, "Second")
        .await
        .unwrap();
    let limited = controller::store::Tenant {
        company: a.tenant.company,
        branch: Some(second.id),
    };
    let seen: Vec<_> = branches::list(&app.store, &limited, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(seen, vec![second.id]);
    assert!(branches::list(&app.store, &limited, Some(second.id), 50)
        .await
        .unwrap()
        .is_empty());
    assert!(
        branches::get(&app.store, &limited, a.branch.id)
            .await
            .is_err(),
        "the sibling branch is invisible"
    );
    let all: Vec<_> = branches::list(&app.store, &a.tenant, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(all, vec![a.branch.id, second.id]);
}

/// Every route with an `{id}` in its path, called by company A's owner with the ids of company
/// B's rows of that kind: nothing is found, nothing changes.
#[tokio::test]
async fn every_id_route_refuses_another_companys_ids() {
    let app = spawn_app().await;
    company(&app, "Alpha Net", &[("alpha-owner", "owner")]).await;
    let b = company(&app, "Beta Net", &[("beta-owner", "owner")]).await;
    let mut beta = Client::login_as(&app, "beta-owner").await;
    let beta_user = beta.get("/api/v1/me").await.json()["user_id"]
        .as_i64()
        .unwrap();
    let beta_role = controller::store::users::roles(&app.store, &b.tenant)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "support")
        .unwrap()
        .id
        .0;
    let csrf = beta.get("/tokens").await.form_csrf();
    beta.post_form(
        "/tokens",
        &[
            ("csrf", &csrf),
            ("name", "beta script"),
            ("days", "7"),
            ("permission", "branches.view"),
        ],
    )
    .await;
    let beta_token = sqlx::query("SELECT id FROM api_tokens")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let beta_token: i64 = sqlx::Row::get(&beta_token, "id");
    // Beta's fleet: a POP, a router, a plan, a subscriber.
    let pop = controller::store::pops::create(&app.store, &b.tenant, "Beta POP", None)
        .await
        .unwrap();
    let beta_router = controller::store::routers::create(&app.store, &b.tenant, pop.id, "beta-ccr")
        .await
        .unwrap();
    let plan_fields = controller::store::plans::PlanFields {
        name: "Beta 10M".into(),
        download: "10M".into(),
        upload: "5M".into(),
        price_poisha: 50_000,
        ..Default::default()
    };
    let beta_plan = controller::store::plans::create(&app.store, &b.tenant, &plan_fields)
        .await
        .unwrap();
    let beta_subscriber = controller::store::subscribers::create(
        &app.store,
        &b.tenant,
        &controller::store::subscribers::Fields {
            name: "Beta customer".into(),
            phone: "01712345678".into(),
            router_id: beta_router.id,
            plan_id: beta_plan.id,
            pppoe_username: "beta.customer".into(),
            pppoe_password: "secret-1".into(),
            status: controller::store::subscribers::Status::Active,
            branch_id: None,
        },
    )
    .await
    .unwrap();
    let audit_before = controller::store::audit::verify(&app.store)
        .await
        .unwrap()
        .unwrap();

    let mut alpha = Client::login_as(&app, "alpha-owner").await;
    let csrf = alpha.csrf().await;
    let routes = controller::http::routes();
    let with_ids: Vec<_> = routes
        .table()
        .iter()
        .filter(|r| r.path.contains("{id}"))
        .collect();
    assert!(with_ids.len() >= 9, "{}", with_ids.len());
    for route in with_ids {
        let id = if route.path.contains("/branches/") {
            b.branch.id.0
        } else if route.path.contains("/roles/") {
            beta_role
        } else if route.path.contains("/users/") {
            beta_user
        } else if route.path.contains("/tokens/") {
            beta_token
        } else if route.path.contains("/routers/") {
            beta_router.id.0
        } else if route.path.contains("/plans/") {
            beta_plan.id.0
        } else if route.path.contains("/subscribers/") {
            beta_subscriber.id.0
        } else {
            panic!(
                "{} {}: which of Beta's ids belongs here?",
                route.method, route.path
            )
        };
        let path = route.path.replace("{id}", &id.to_string());
        // A body each route accepts, so only the id can make it fail.
        let body = match (route.method, route.path) {
            ("PATCH", "/api/v1/branches/{id}") => r#"{"name":"taken over"}"#,
            ("PATCH", "/api/v1/roles/{id}") => r#"{"permissions":["dashboard.view"]}"#,
            ("POST", "/api/v1/users/{id}/password") => r#"{"password":"taken-over-123"}"#,
            ("POST", "/api/v1/routers/{id}/commands") => r#"{"action":"resync"}"#,
            ("POST", "/api/v1/subscribers/{id}/status") => r#"{"status":"suspended"}"#,
            ("PUT", "/api/v1/plans/{id}") => {
                r#"{"name":"taken","download":"1M","upload":"1M","price_poisha":1}"#
            }
            ("PUT", "/api/v1/subscribers/{id}") => {
                r#"{"name":"x","phone":"01712345678","router_id":1,"plan_id":1,"pppoe_username":"x","pppoe_password":"xxxx"}"#
            }
            (_, p) if p.starts_with("/api/") => "",
            (_, "/subscribers/{id}/status") => "status=suspended",
            (_, "/routers/{id}/commands") => "action=resync",
            _ => "permission=dashboard.view",
        };
        let content_type = if path.starts_with("/api/") {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        let r = alpha
            .request(
                route.method,
                &path,
                Some(content_type),
                body.as_bytes(),
                &[("x-csrf-token", &csrf)],
            )
            .await;
        assert_eq!(r.status, 404, "{} {path}: {}", route.method, r.body);
    }
    // Beta is untouched: branch, role, token, password; and nothing was logged as changed.
    assert_eq!(
        controller::store::branches::get(&app.store, &b.tenant, b.branch.id)
            .await
            .unwrap()
            .name,
        b.branch.name
    );
    let role = controller::store::users::roles(&app.store, &b.tenant)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "support")
        .unwrap();
    assert!(role.permissions.len() > 1);
    let router = controller::store::routers::get(&app.store, &b.tenant, beta_router.id)
        .await
        .unwrap();
    assert_eq!(router.revoked_at, None);
    assert_eq!(router.desired_version, beta_router.desired_version);
    let plan = controller::store::plans::get(&app.store, &b.tenant, beta_plan.id)
        .await
        .unwrap();
    assert_eq!(plan.fields.name, "Beta 10M");
    let subscriber = controller::store::subscribers::get(&app.store, &b.tenant, beta_subscriber.id)
        .await
        .unwrap();
    assert_eq!(
        subscriber.status,
        controller::store::subscribers::Status::Active
    );
    assert_eq!(
        beta.get("/api/v1/me").await.status,
        200,
        "beta still signed in"
    );
    let live = sqlx::query("SELECT revoked_at FROM api_tokens")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(sqlx::Row::get::<Option<i64>, _>(&live, "revoked_at"), None);
    let mut beta_again = Client::login_as(&app, "beta-owner").await;
    assert_eq!(
        beta_again.get("/api/v1/me").await.status,
        200,
        "password unchanged"
    );
    let changes = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action NOT LIKE 'auth.%'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let after = controller::store::audit::verify(&app.store)
        .await
        .unwrap()
        .unwrap();
    assert!(after >= audit_before);
    assert_eq!(
        sqlx::Row::get::<i64, _>(&changes, "n"),
        1,
        "only Beta's own token creation"
    );
}
