//! The JSON API: its error format, validation and bad input, pagination, the language switch.

use crate::helpers::{company, spawn_app, Client};

#[tokio::test]
async fn bad_bodies_get_clear_errors_and_change_nothing() {
    let app = spawn_app().await;
    let padma = company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut c = Client::login_as(&app, "owner1").await;
    let before = app.branch_count(padma.scope).await;
    for (body, status, code) in [
        ("{not json", 400, "bad_request"),
        (r#"{"name": 7}"#, 400, "bad_request"),
        (r#"{"name":"x","extra":1}"#, 400, "bad_request"),
        (r#"{}"#, 400, "bad_request"),
        (r#"{"name":"   "}"#, 422, "validation_failed"),
    ] {
        let r = c.json("POST", "/api/v1/branches", body).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert_eq!(r.json()["code"], code, "{body}");
        assert!(r.json()["message"].is_string());
    }
    let r = c
        .json("POST", "/api/v1/branches", r#"{"name":"   "}"#)
        .await
        .json();
    assert_eq!(r["fields"][0]["field"], "name");
    let huge = format!(r#"{{"name":"{}"}}"#, "x".repeat(200 * 1024));
    assert_eq!(c.json("POST", "/api/v1/branches", &huge).await.status, 413);
    assert_eq!(app.branch_count(padma.scope).await, before);
}

#[tokio::test]
async fn sql_metacharacters_are_stored_as_text() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut c = Client::login_as(&app, "owner1").await;
    let nasty = r#"Robert'); DROP TABLE branches;-- "%_\"#;
    let r = c
        .json(
            "POST",
            "/api/v1/branches",
            &serde_json::json!({ "name": nasty }).to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        c.get(&format!("/api/v1/branches/{id}")).await.json()["name"],
        nasty.trim()
    );
    let page = c.get("/branches").await.body;
    assert!(
        page.contains("Robert&#39;); DROP TABLE branches;--"),
        "escaped in HTML"
    );
}

#[tokio::test]
async fn lists_are_paginated_by_keyset() {
    let app = spawn_app().await;
    let padma = company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut work = app.work(padma.scope).await;
    for i in 0..8 {
        let input = controller::tenancy::service::NameInput {
            name: format!("B{i}"),
        };
        controller::tenancy::service::create_branch(&mut work, &input)
            .await
            .unwrap();
    }
    work.commit().await.unwrap();
    let mut c = Client::login_as(&app, "owner1").await;
    let mut seen: Vec<(i64, String)> = Vec::new();
    let mut after = 0;
    let mut pages = 0;
    loop {
        let page = c
            .get(&format!("/api/v1/branches?limit=3&after={after}"))
            .await
            .json();
        pages += 1;
        seen.extend(page["items"].as_array().unwrap().iter().map(|i| {
            (
                i["id"].as_i64().unwrap(),
                i["name"].as_str().unwrap().to_owned(),
            )
        }));
        match page["next_after"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
    }
    // Nine branches in pages of three: exactly three pages (the last one full, and no fourth
    // empty one), ids strictly rising (no duplicates, no reordering), every branch once.
    assert_eq!(pages, 3, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
    let mut names: Vec<&str> = seen.iter().map(|(_, n)| n.as_str()).collect();
    names.sort_unstable();
    let mut expected: Vec<String> = (0..8).map(|i| format!("B{i}")).collect();
    expected.push("Padma HQ".into());
    expected.sort_unstable();
    assert_eq!(names, expected);
    let r = c.get("/api/v1/branches?limit=x").await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("bad_request"))
    );
}

#[tokio::test]
async fn the_ui_speaks_bangla_after_the_switch_and_validates_inline() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut c = Client::login_as(&app, "owner1").await;
    assert!(c.get("/").await.body.contains("Welcome"));
    let r = c.get("/lang/bn?next=/branches").await;
    assert_eq!(r.header("location"), Some("/branches"));
    let page = c.get("/branches").await;
    assert!(
        page.body.contains("lang=bn") && page.body.contains("শাখাসমূহ"),
        "{}",
        page.body
    );
    let csrf = page.form_csrf();
    let r = c
        .post_form("/branches", &[("csrf", &csrf), ("name", "")])
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("aria-invalid=true") && r.body.contains("এই ঘরটি পূরণ করতে হবে"),
        "{}",
        r.body
    );
    // A name the company already uses is refused next to the field.
    let r = c
        .post_form("/branches", &[("csrf", &csrf), ("name", "Padma HQ")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("এই নাম আগেই ব্যবহৃত হয়েছে"), "{}", r.body);
    // An open redirect is not possible through the switch.
    assert_eq!(
        c.get("/lang/en?next=//evil.example")
            .await
            .header("location"),
        Some("/")
    );
}

#[tokio::test]
async fn health_readiness_metrics_and_openapi() {
    let mut config = crate::helpers::test_config();
    config.http.metrics_token = "scrape-secret".into();
    let app = crate::helpers::spawn_with(config).await;
    let mut c = Client::new(&app);
    assert_eq!(c.get("/healthz").await.body, "ok");
    assert_eq!(c.get("/readyz").await.status, 200);
    c.get("/api/v1/branches").await;
    // Metrics are not public: the configured token, or nothing.
    assert_eq!(c.get("/metrics").await.status, 401);
    let wrong = c
        .request(
            "GET",
            "/metrics",
            None,
            b"",
            &[("Authorization", "Bearer guess")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    let metrics = c
        .request(
            "GET",
            "/metrics",
            None,
            b"",
            &[("Authorization", "Bearer scrape-secret")],
        )
        .await
        .body;
    assert!(
        metrics.contains(
            r#"setu_http_requests_total{method="GET",route="/api/v1/branches",status="401"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("setu_db_pool_connections"));
    let spec = c.get("/api/v1/openapi.json").await.json();
    assert_eq!(
        spec["paths"]["/api/v1/branches/{id}"]["patch"]["x-permission"],
        "branches.manage"
    );
}
