//! The audit log records who changed what, and its hash chain exposes tampering.

use crate::helpers::{company, spawn_app, Client};
use controller::kernel::audit;
use controller::kernel::http::list::PageQuery;

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
    let filter = audit::Filter {
        action_prefix: "branch.".into(),
        ..audit::Filter::default()
    };
    let mut db = app.store.conn().await.unwrap();
    let entries = audit::list(&mut db, &padma.scope, None, &filter, &PageQuery::first(10))
        .await
        .unwrap()
        .items;
    let rename = &entries[0];
    assert_eq!(rename.action, "branch.rename");
    assert_eq!(rename.before["name"], "Uttara");
    assert_eq!(rename.after["name"], "Uttara Sector 7");
    assert_eq!(rename.user_agent, "setu-test");
    assert_eq!(rename.ip, "127.0.0.1");
    assert!(rename.actor_user_id.is_some());
    assert_eq!(rename.actor, "user");
    // Setting the company up was the system's doing, and says so.
    let all = audit::list(
        &mut db,
        &padma.scope,
        None,
        &audit::Filter::default(),
        &PageQuery::first(100),
    )
    .await
    .unwrap()
    .items;
    let creation = all.iter().find(|e| e.action == "company.create").unwrap();
    assert_eq!(
        (creation.actor.as_str(), creation.actor_user_id),
        ("system:bootstrap", None)
    );
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
    let mut db = app.store.conn().await.unwrap();
    let n = audit::verify(&mut db).await.unwrap().unwrap();
    assert!(n >= 4, "{n}");
    sqlx::query("UPDATE audit_log SET after_json = '{\"name\":\"Z\"}' WHERE action = 'branch.create' AND after_json LIKE '%\"B\"%'")
        .execute(&mut *db)
        .await
        .unwrap();
    let broken = audit::verify(&mut db).await.unwrap().unwrap_err();
    assert_eq!(broken.problem, "its content was changed");
}

#[tokio::test]
async fn removing_the_newest_entries_of_a_company_is_detected() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut c = Client::login_as(&app, "owner1").await;
    c.json("POST", "/api/v1/branches", r#"{"name":"A"}"#).await;
    let mut db = app.store.conn().await.unwrap();
    assert!(audit::verify(&mut db).await.unwrap().is_ok());
    sqlx::query("DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)")
        .execute(&mut *db)
        .await
        .unwrap();
    let broken = audit::verify(&mut db).await.unwrap().unwrap_err();
    assert_eq!(broken.problem, "entries after it were removed");
}

#[tokio::test]
async fn the_log_filters_by_action_entity_actor_and_day_and_exports_csv() {
    let app = spawn_app().await;
    company(
        &app,
        "Padma",
        &[("owner1", "owner"), ("manager1", "manager")],
    )
    .await;
    let mut owner = Client::login_as(&app, "owner1").await;
    let mut manager = Client::login_as(&app, "manager1").await;
    owner
        .json(
            "POST",
            "/api/v1/branches",
            r#"{"name":"Mirpur, \"Section\" 10"}"#,
        )
        .await;
    // Whatever a client sends as its user agent lands in the log (and the export).
    owner.user_agent = "=HYPERLINK(\"x\")".into();
    owner
        .json("POST", "/api/v1/branches", r#"{"name":"Banani"}"#)
        .await;
    owner.user_agent = "setu-test".into();
    manager
        .json("POST", "/api/v1/branches", r#"{"name":"Uttara"}"#)
        .await;
    let manager_id = manager.get("/api/v1/me").await.json()["user_id"].clone();

    // Three by staff, and the one the company started with.
    let by_action = owner.get("/api/v1/audit?action=branch.").await.json();
    assert_eq!(by_action["items"].as_array().unwrap().len(), 4);
    let by_actor = owner
        .get(&format!("/api/v1/audit?action=branch.&actor={manager_id}"))
        .await
        .json();
    let items = by_actor["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["after"]["name"], "Uttara");
    // `%` is not a wildcard here.
    let wildcard = owner.get("/api/v1/audit?action=%25").await.json();
    assert!(wildcard["items"].as_array().unwrap().is_empty());
    let logins = owner
        .get("/api/v1/audit?action=auth.&entity=user")
        .await
        .json();
    assert!(logins["items"].as_array().unwrap().len() >= 2);
    // Days are Dhaka days: nothing happened in 2020, everything today or after.
    let old = owner
        .get("/api/v1/audit?from=2020-01-01&until=2020-12-31")
        .await
        .json();
    assert!(old["items"].as_array().unwrap().is_empty());
    let today = controller::kernel::date::today().to_string();
    let recent = owner
        .get(&format!("/api/v1/audit?from={today}"))
        .await
        .json();
    assert!(recent["items"].as_array().unwrap().len() >= 4);
    let bad = owner.get("/api/v1/audit?from=2026-02-30").await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["fields"][0]["field"], "from");
    let page = owner.get("/audit?from=not-a-date").await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("aria-invalid=true"));
    let page = owner
        .get(&format!("/audit?action=branch.&actor={manager_id}"))
        .await;
    assert!(page.body.contains("manager1") && page.body.contains("branch.create"));

    let csv = owner.get("/audit.csv?action=branch.").await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    let lines: Vec<&str> = csv.body.trim_end().split("\r\n").collect();
    assert!(lines[0].starts_with("\u{feff}id,time_dhaka,"));
    assert_eq!(lines.len(), 5, "{}", csv.body);
    assert!(
        csv.body.contains(r#""{""company_id"""#)
            && csv.body.contains(r#"Mirpur, \""Section\"" 10"#),
        "JSON cells with commas and quotes are quoted: {}",
        csv.body
    );
    // A spreadsheet would run that user agent as a formula; the export defuses it.
    assert!(csv.body.contains(r#""'=HYPERLINK(""x"")""#), "{}", csv.body);

    let mut collector_less = Client::new(&app);
    assert_eq!(collector_less.get("/audit.csv").await.status, 303);
}

/// Two controller replicas on one database, appending for two companies at once, still make
/// one unbroken chain per company.
#[tokio::test]
async fn concurrent_appends_from_two_replicas_keep_one_chain_per_company() {
    let app = spawn_app().await;
    let a = company(&app, "Alpha", &[]).await;
    let b = company(&app, "Beta", &[]).await;
    // The second replica opens its own pool on the same database.
    let replica = controller::kernel::db::Store::connect(&app.database_url)
        .await
        .unwrap();
    let append = |store: controller::kernel::db::Store, company, i: usize| async move {
        let entry = audit::NewEntry {
            company_id: Some(company),
            action: format!("test.append{i}"),
            entity: "test".into(),
            entity_id: i.to_string(),
            ..audit::NewEntry::default()
        };
        audit::append_alone(&store, &entry).await.unwrap()
    };
    let before = {
        let mut db = app.store.conn().await.unwrap();
        audit::verify(&mut db).await.unwrap().unwrap()
    };
    let mut tasks = Vec::new();
    for i in 0..60 {
        let store = if i % 2 == 0 {
            app.store.clone()
        } else {
            replica.clone()
        };
        let company = if i % 3 == 0 {
            a.scope.company()
        } else {
            b.scope.company()
        };
        tasks.push(tokio::spawn(append(store, company, i)));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut db = app.store.conn().await.unwrap();
    let checked = audit::verify(&mut db).await.unwrap().unwrap();
    assert_eq!(checked, before + 60);
    // Each company's chain starts at its own genesis.
    let genesis: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE prev_hash = '0000000000000000000000000000000000000000000000000000000000000000'",
    )
    .fetch_one(&mut *db)
    .await
    .unwrap();
    assert_eq!(genesis, 2, "one chain per company");
}
