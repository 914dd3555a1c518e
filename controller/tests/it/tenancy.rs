//! A user of company A can neither see nor change company B's rows, whatever ids they send.

use crate::helpers::{branch_staff, company, spawn_app, Client, Company, TestApp};
use controller::kernel::ids::{BranchId, PlanId, RouterId, SubscriberId};
use controller::plans::service::PlanInput;
use controller::subscribers::service::SubscriberInput;

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
        .all(|i| i["company_id"] == a.scope.company().0));

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

    let mut work = app.read(b.scope).await;
    let still = controller::tenancy::store::branch(&mut work, b.branch.id)
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

/// A POP (in `branch`), a router there, a plan and a subscriber of the company, made as the
/// system.
struct Fleet {
    router: RouterId,
    plan: PlanId,
    subscriber: SubscriberId,
}

async fn fleet(app: &TestApp, company: &Company, branch: Option<BranchId>, tag: &str) -> Fleet {
    let mut work = app.work(company.scope).await;
    let router = crate::helpers::pop_with_router(
        &mut work,
        &format!("{tag} POP"),
        branch,
        &format!("{tag}-ccr"),
    )
    .await;
    let plan = controller::plans::service::create(
        &mut work,
        &PlanInput {
            name: format!("{tag} 10M"),
            download: "10M".into(),
            upload: "5M".into(),
            price_poisha: Some(controller::kernel::money::Poisha(50_000)),
            ..PlanInput::default()
        },
    )
    .await
    .unwrap();
    let subscriber = controller::subscribers::service::create(
        &mut work,
        &SubscriberInput {
            name: format!("{tag} customer"),
            phone: "01712345678".into(),
            router_id: Some(router.id),
            plan_id: Some(plan.id),
            pppoe_username: format!("{}.customer", tag.to_lowercase()),
            pppoe_password: "secret-1".into(),
            status: None,
            branch_id: branch,
            starts_on: String::new(),
        },
    )
    .await
    .unwrap();
    work.commit().await.unwrap();
    Fleet {
        router: router.id,
        plan: plan.id,
        subscriber: subscriber.id,
    }
}

async fn max_audit_id(app: &TestApp) -> i64 {
    sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM audit_log")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .unwrap_or(0)
}

/// Staff limited to one branch see only that branch: its branch record, its subscribers, the
/// routers of its POPs, its sessions and its audit entries, everywhere; another branch's ids
/// are simply not found.
#[tokio::test]
async fn a_branch_limited_member_sees_only_their_branch_everywhere() {
    let app = spawn_app().await;
    let a = company(&app, "Alpha Net", &[("alpha-owner", "owner")]).await;
    let mut work = app.work(a.scope).await;
    let second = controller::tenancy::service::create_branch(
        &mut work,
        &controller::tenancy::service::NameInput {
            name: "Second".into(),
        },
    )
    .await
    .unwrap();
    work.commit().await.unwrap();
    let hq = fleet(&app, &a, Some(a.branch.id), "Hq").await;
    let theirs = fleet(&app, &a, Some(second.id), "Second").await;
    branch_staff(&app, a.scope, second.id, "second-support", "support").await;
    branch_staff(&app, a.scope, second.id, "second-manager", "manager").await;
    // A session on the HQ router, and one on the second branch's router.
    for (router, user, seq) in [
        (hq.router, "hq.customer", 1),
        (theirs.router, "second.customer", 2),
    ] {
        use controller::fleet::uplinks::{record, Effect, SessionRow};
        let mut db = app.store.conn().await.unwrap();
        let (subscriber, branch) =
            controller::subscribers::store::by_username(&mut db, a.scope.company(), user)
                .await
                .unwrap()
                .unwrap();
        let agent: String = sqlx::query_scalar("SELECT agent_id FROM routers WHERE id = $1")
            .bind(router.0)
            .fetch_one(&mut *db)
            .await
            .unwrap();
        let row = SessionRow {
            company: a.scope.company(),
            branch,
            router,
            subscriber: Some(subscriber),
            service: "pppoe".into(),
            username: user.into(),
            address: format!("10.0.0.{seq}"),
            caller_id: String::new(),
            router_session_id: format!("*{seq}"),
            started_at: 1,
            ended_at: None,
            agent_started_at: Some(1),
            agent_ended_at: None,
            bytes_in: None,
            bytes_out: None,
        };
        record(
            &mut db,
            &agent,
            "0123456789abcdef0123456789abcdef",
            seq,
            "event",
            0,
            &Effect::SessionUp(row),
        )
        .await
        .unwrap();
    }

    let mut limited = Client::login_as(&app, "second-support").await;
    let me = limited.get("/api/v1/me").await.json();
    assert_eq!(me["branch_id"], second.id.0);
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(&limited.get("/api/v1/branches").await.json()),
        [second.id.0]
    );
    assert_eq!(
        limited
            .get(&format!("/api/v1/branches/{}", a.branch.id))
            .await
            .status,
        404
    );
    assert_eq!(
        ids(&limited.get("/api/v1/subscribers").await.json()),
        [theirs.subscriber.0]
    );
    assert_eq!(
        ids(&limited
            .get(&format!("/api/v1/subscribers?router_id={}", hq.router))
            .await
            .json()),
        Vec::<i64>::new()
    );
    assert_eq!(
        limited
            .get(&format!("/api/v1/subscribers/{}", hq.subscriber))
            .await
            .status,
        404
    );
    let r = limited
        .json(
            "POST",
            &format!("/api/v1/subscribers/{}/status", hq.subscriber),
            r#"{"status":"suspended"}"#,
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        ids(&limited.get("/api/v1/routers").await.json()),
        [theirs.router.0]
    );
    assert_eq!(
        limited
            .get(&format!("/api/v1/routers/{}", hq.router))
            .await
            .status,
        404
    );
    let sessions = limited.get("/api/v1/sessions").await.json();
    let users: Vec<&str> = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["username"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["second.customer"]);
    assert!(!limited.get("/sessions").await.body.contains("hq.customer"));
    assert!(!limited
        .get("/subscribers")
        .await
        .body
        .contains("Hq customer"));

    // Adding a subscriber on the other branch's router, or into the other branch, is refused.
    let body = serde_json::json!({
        "name": "Sneaky", "phone": "01712345678", "router_id": hq.router, "plan_id": hq.plan,
        "pppoe_username": "sneaky", "pppoe_password": "secret-1",
    });
    let r = limited
        .json("POST", "/api/v1/subscribers", &body.to_string())
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["fields"][0]["field"], "router_id");
    let body = serde_json::json!({
        "name": "Sneaky", "phone": "01712345678", "router_id": theirs.router, "plan_id": theirs.plan,
        "pppoe_username": "sneaky", "pppoe_password": "secret-1", "branch_id": a.branch.id,
    });
    let r = limited
        .json("POST", "/api/v1/subscribers", &body.to_string())
        .await;
    assert_eq!(r.json()["fields"][0]["field"], "branch_id", "{}", r.body);
    // Without a branch, theirs is assumed.
    let body = serde_json::json!({
        "name": "Own", "phone": "01712345678", "router_id": theirs.router, "plan_id": theirs.plan,
        "pppoe_username": "own.customer", "pppoe_password": "secret-1",
    });
    let r = limited
        .json("POST", "/api/v1/subscribers", &body.to_string())
        .await;
    assert_eq!(
        (r.status, r.json()["branch_id"].as_i64()),
        (201, Some(second.id.0)),
        "{}",
        r.body
    );

    // The branch manager reads the audit log of their branch only.
    let mut manager = Client::login_as(&app, "second-manager").await;
    let log = manager.get("/api/v1/audit?entity=subscriber").await.json();
    let entity_ids: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entity_id"].as_str().unwrap())
        .collect();
    assert!(!entity_ids.is_empty());
    assert!(
        !entity_ids.contains(&hq.subscriber.to_string().as_str()),
        "{entity_ids:?}"
    );
    let owner_log = Client::login_as(&app, "alpha-owner")
        .await
        .get("/api/v1/audit?entity=subscriber")
        .await
        .json();
    assert!(owner_log["items"].as_array().unwrap().len() > log["items"].as_array().unwrap().len());
}

/// Every route with an `{id}` in its path, called by company A's owner with the ids of company
/// B's rows of that kind: nothing is found, nothing changes. And B's ids sent inside JSON
/// bodies and query strings are refused or find nothing.
#[tokio::test]
async fn every_id_route_refuses_another_companys_ids() {
    let app = spawn_app().await;
    let a = company(&app, "Alpha Net", &[("alpha-owner", "owner")]).await;
    let b = company(&app, "Beta Net", &[("beta-owner", "owner")]).await;
    let mine = fleet(&app, &a, None, "Alpha").await;
    let mut beta = Client::login_as(&app, "beta-owner").await;
    let beta_user = beta.get("/api/v1/me").await.json()["user_id"]
        .as_i64()
        .unwrap();
    let beta_role = beta.get("/api/v1/roles").await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "support")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
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
    let beta_token: i64 = sqlx::query_scalar("SELECT id FROM api_tokens")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let theirs = fleet(&app, &b, Some(b.branch.id), "Beta").await;
    let beta_router_before = {
        let mut work = app.read(b.scope).await;
        controller::fleet::store::router(&mut work, theirs.router)
            .await
            .unwrap()
    };
    let beta_job: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (company_id, kind, dedupe_key, payload, state, run_after, max_attempts, created_at)
         VALUES ($1, 'housekeeping', 'beta-failed', '{}', 'failed', 0, 1, 0) RETURNING id",
    )
    .bind(b.scope.company())
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    // Beta bills: a subscription, an invoice and a run of its own.
    let (beta_invoice, beta_run, beta_subscription) = {
        let mut work = app.work(b.scope).await;
        controller::billing::service::save_settings(&mut work, &Default::default())
            .await
            .unwrap();
        work.commit().await.unwrap();
        let today = controller::kernel::date::today();
        let run = controller::billing::run::run(
            &app.state,
            b.scope,
            controller::kernel::scope::Actor::System("test"),
            billing_core::period::PeriodKey::new(today.year(), today.month()).unwrap(),
            false,
            |_, _| {},
        )
        .await
        .unwrap();
        let invoice: i64 = sqlx::query_scalar("SELECT MAX(id) FROM invoices WHERE company_id = $1")
            .bind(b.scope.company())
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        let subscription: i64 =
            sqlx::query_scalar("SELECT MAX(id) FROM subscriptions WHERE company_id = $1")
                .bind(b.scope.company())
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        (invoice, run.id.0, subscription)
    };
    let marker = max_audit_id(&app).await;

    let mut alpha = Client::login_as(&app, "alpha-owner").await;
    let csrf = alpha.csrf().await;
    let routes = controller::kernel::http::routes();
    let with_ids: Vec<_> = routes
        .table()
        .iter()
        .filter(|r| r.path.contains("{id}"))
        .collect();
    assert!(with_ids.len() >= 20, "{}", with_ids.len());
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
            theirs.router.0
        } else if route.path.contains("/plans/") {
            theirs.plan.0
        } else if route.path.contains("/subscribers/") {
            theirs.subscriber.0
        } else if route.path.contains("/jobs/") {
            beta_job
        } else if route.path.contains("/invoices/") {
            beta_invoice
        } else if route.path.contains("/billing/runs/") {
            beta_run
        } else if route.path.contains("/subscriptions/") {
            beta_subscription
        } else {
            panic!(
                "{} {}: which of Beta's ids belongs here?",
                route.method, route.path
            )
        };
        let path = route
            .path
            .replace("{id}", &id.to_string())
            .replace("{token}", &beta_token.to_string());
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
            ("POST", "/api/v1/invoices/{id}/void") => r#"{"reason":"taken over"}"#,
            ("POST", "/api/v1/invoices/{id}/credit") => r#"{"amount":"1","reason":"taken over"}"#,
            ("POST", "/api/v1/subscriptions/{id}/plan") => r#"{"plan_id":1}"#,
            ("POST", "/api/v1/subscriptions/{id}/pause") => {
                r#"{"from":"2026-12-01","to":"2026-12-02"}"#
            }
            ("POST", "/api/v1/subscriptions/{id}/terminate") => "{}",
            (_, p) if p.starts_with("/api/") => "",
            (_, "/invoices/{id}/void") => "reason=taken+over",
            (_, "/invoices/{id}/credit") => "amount=1&reason=taken+over",
            (_, "/subscriptions/{id}/plan") => "plan_id=1",
            (_, "/subscriptions/{id}/pause") => "from=2026-12-01&to=2026-12-02",
            (
                _,
                "/subscriptions/{id}/terminate"
                | "/invoices/{id}/finalise"
                | "/invoices/{id}/discard",
            ) => "",
            (_, "/subscribers/{id}/status") => "status=suspended",
            (_, "/routers/{id}/commands") => "action=resync",
            (_, "/users/{id}/active") => "active=false",
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
    let beta_job_state: String = sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1")
        .bind(beta_job)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        beta_job_state, "failed",
        "Beta's failed job was not retried"
    );
    let beta_documents: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invoices WHERE company_id = $1 AND status = 'finalised'",
    )
    .bind(b.scope.company())
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(
        beta_documents, 1,
        "Beta's invoice was neither voided nor credited"
    );

    // Beta's ids inside bodies: refused with a field error, nothing created.
    let sub = |router: i64, plan: i64, branch: Option<i64>| {
        serde_json::json!({
            "name": "x", "phone": "01712345678", "router_id": router, "plan_id": plan,
            "pppoe_username": "cross.company", "pppoe_password": "secret-1", "branch_id": branch,
        })
        .to_string()
    };
    for (body, field) in [
        (sub(theirs.router.0, mine.plan.0, None), "router_id"),
        (sub(mine.router.0, theirs.plan.0, None), "plan_id"),
        (
            sub(mine.router.0, mine.plan.0, Some(b.branch.id.0)),
            "branch_id",
        ),
    ] {
        let r = alpha.json("POST", "/api/v1/subscribers", &body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert_eq!(r.json()["fields"][0]["field"], field, "{body}");
        let r = alpha
            .json(
                "PUT",
                &format!("/api/v1/subscribers/{}", mine.subscriber),
                &body,
            )
            .await;
        assert_eq!(r.status, 422, "update {body}: {}", r.body);
    }
    for (path, body, field) in [
        (
            "/api/v1/pops",
            format!(r#"{{"name":"p","branch_id":{}}}"#, b.branch.id),
            "branch_id",
        ),
        (
            "/api/v1/routers",
            format!(r#"{{"name":"r","pop_id":{}}}"#, beta_router_before.pop_id),
            "pop_id",
        ),
        (
            "/api/v1/users",
            format!(
                r#"{{"username":"cross","display_name":"C","password":"long-enough-pw","role":"support","branch_id":{}}}"#,
                b.branch.id
            ),
            "branch_id",
        ),
    ] {
        let r = alpha.json("POST", path, &body).await;
        assert_eq!(r.status, 422, "{path}: {}", r.body);
        assert_eq!(r.json()["fields"][0]["field"], field, "{path}");
    }
    // Beta's ids in query strings find nothing.
    for path in [
        format!("/api/v1/subscribers?router_id={}", theirs.router),
        format!("/api/v1/audit?actor={beta_user}"),
        format!("/api/v1/sessions?subscriber_id={}", theirs.subscriber),
        format!("/api/v1/branches?after={}", b.branch.id.0 - 1),
    ] {
        let r = alpha.get(&path).await.json();
        let leaked: Vec<&serde_json::Value> = r["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                i["company_id"]
                    .as_i64()
                    .is_some_and(|c| c != a.scope.company().0)
                    || i["actor_user_id"] == beta_user
            })
            .collect();
        assert!(leaked.is_empty(), "{path}: {leaked:?}");
        if path.contains("router_id") || path.contains("actor") || path.contains("subscriber_id") {
            assert!(r["items"].as_array().unwrap().is_empty(), "{path}: {r}");
        }
    }

    // Beta is untouched: branch, role, token, password, router, plan, subscriber.
    let mut work = app.read(b.scope).await;
    assert_eq!(
        controller::tenancy::store::branch(&mut work, b.branch.id)
            .await
            .unwrap()
            .name,
        b.branch.name
    );
    let role =
        controller::staff::store::role(&mut work, controller::kernel::ids::RoleId(beta_role))
            .await
            .unwrap();
    assert!(role.permissions.len() > 1);
    let router = controller::fleet::store::router(&mut work, theirs.router)
        .await
        .unwrap();
    assert_eq!(router.revoked_at, None);
    assert_eq!(router.desired_version, beta_router_before.desired_version);
    let plan = controller::plans::store::get(&mut work, theirs.plan)
        .await
        .unwrap();
    assert_eq!(plan.fields.name, "Beta 10M");
    let subscriber = controller::subscribers::store::get(&mut work, theirs.subscriber)
        .await
        .unwrap();
    assert_eq!(
        subscriber.fields.status,
        controller::subscribers::store::Status::Active
    );
    drop(work);
    assert_eq!(
        beta.get("/api/v1/me").await.status,
        200,
        "beta still signed in"
    );
    let revoked: Option<i64> = sqlx::query_scalar("SELECT revoked_at FROM api_tokens")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(revoked, None);
    let mut beta_again = Client::login_as(&app, "beta-owner").await;
    assert_eq!(
        beta_again.get("/api/v1/me").await.status,
        200,
        "password unchanged"
    );
    let changes: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE id > $1 AND action NOT LIKE 'auth.%'",
    )
    .bind(marker)
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    assert_eq!(
        changes,
        Vec::<String>::new(),
        "nothing was changed by the sweep"
    );
    assert!(app.audit_intact().await);
}

/// The composite keys hold in the database itself: a row pointing at another company's branch,
/// router or plan is refused by the engine, whatever code wrote it.
#[tokio::test]
async fn the_database_refuses_references_across_companies() {
    let app = spawn_app().await;
    let a = company(&app, "Alpha Net", &[]).await;
    let b = company(&app, "Beta Net", &[]).await;
    let mine = fleet(&app, &a, None, "Alpha").await;
    let theirs = fleet(&app, &b, Some(b.branch.id), "Beta").await;
    let insert = |branch: Option<i64>, router: i64, plan: i64| {
        let store = app.store.clone();
        let company = a.scope.company().0;
        async move {
            sqlx::query(
                "INSERT INTO subscribers (company_id, branch_id, router_id, plan_id, name, phone, pppoe_username,
                     pppoe_password, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'x', '01712345678', $5, 'pw', 'active', 0, 0)",
            )
            .bind(company)
            .bind(branch)
            .bind(router)
            .bind(plan)
            .bind(format!("raw-{router}-{plan}-{branch:?}"))
            .execute(store.pool())
            .await
        }
    };
    assert!(
        insert(None, mine.router.0, mine.plan.0).await.is_ok(),
        "the company's own rows are fine"
    );
    for (branch, router, plan) in [
        (Some(b.branch.id.0), mine.router.0, mine.plan.0),
        (None, theirs.router.0, mine.plan.0),
        (None, mine.router.0, theirs.plan.0),
    ] {
        let e = insert(branch, router, plan).await.unwrap_err();
        let db = e.as_database_error().expect("a database error");
        assert!(db.is_foreign_key_violation(), "{e}");
    }
    let e = sqlx::query("UPDATE subscribers SET status = 'paid' WHERE id = $1")
        .bind(mine.subscriber.0)
        .execute(app.store.pool())
        .await
        .unwrap_err();
    assert!(
        e.as_database_error()
            .is_some_and(|d| d.is_check_violation()),
        "a status no code knows: {e}"
    );
}
