//! Deny by default: every route declares its access, and the server enforces it.

use crate::helpers::{company, spawn_app, Client};
use controller::kernel::http::{routes, Access};

/// Routes anyone may call. Adding one here is a security decision; review it.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/login/code"),
    ("POST", "/login/code"),
    ("GET", "/lang/{code}"),
    ("GET", "/api/v1/openapi.json"),
    // Agents, authenticated by the route itself: a one-time token, or the agent's credentials.
    ("POST", "/fleet/v1/enroll"),
    ("GET", "/fleet/v1/desired"),
    // The payment page an invoice's QR code opens: its unguessable token is the key, and it
    // shows only what the printed invoice shows.
    ("GET", "/pay/{token}"),
];

fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{token}", "1")
        .replace("{code}", "en")
}

#[test]
fn every_route_declares_access_and_only_reviewed_routes_are_public() {
    let table = routes();
    assert!(
        table.table().len() >= 15,
        "routes registered: {}",
        table.table().len()
    );
    for route in table.table() {
        if route.access == Access::Public {
            assert!(
                PUBLIC.contains(&(route.method, route.path)),
                "{} {} is public but not reviewed",
                route.method,
                route.path
            );
        }
    }
}

#[tokio::test]
async fn anonymous_requests_to_protected_routes_are_refused() {
    let app = spawn_app().await;
    let mut anon = Client::new(&app);
    for route in routes()
        .table()
        .iter()
        .filter(|r| r.access != Access::Public)
    {
        let path = concrete(route.path);
        let r = anon
            .request(route.method, &path, Some("application/json"), b"{}", &[])
            .await;
        if path.starts_with("/api/") {
            assert_eq!(r.status, 401, "{} {path}", route.method);
            assert_eq!(r.json()["code"], "unauthenticated");
        } else {
            assert_eq!(r.status, 303, "{} {path}", route.method);
            assert!(
                r.header("location").unwrap().starts_with("/login"),
                "{} {path}",
                route.method
            );
        }
    }
}

#[tokio::test]
async fn a_role_without_the_permission_is_forbidden_on_every_such_route() {
    let app = spawn_app().await;
    company(&app, "Padma", &[("collector1", "collector")]).await;
    let mut collector = Client::login_as(&app, "collector1").await;
    let csrf = collector.csrf().await;
    let held = [
        controller::tenancy::DASHBOARD_VIEW,
        controller::subscribers::VIEW,
        controller::billing::VIEW,
    ];
    for route in routes().table() {
        let Access::Needs(permission) = route.access else {
            continue;
        };
        if held.contains(&permission) {
            continue;
        }
        let path = concrete(route.path);
        let r = collector
            .request(
                route.method,
                &path,
                Some("application/json"),
                b"{\"name\":\"x\"}",
                &[("x-csrf-token", &csrf)],
            )
            .await;
        assert_eq!(
            r.status,
            403,
            "{} {path} needs {}",
            route.method,
            permission.name()
        );
    }
    // The UI hides what the role cannot use.
    let page = collector.get("/").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("href=/branches") && !page.body.contains("href=/audit"),
        "{}",
        page.body
    );
}

/// Every route of the JSON API describes itself for the OpenAPI document, and every error code
/// it names is one the API can answer with.
#[test]
fn every_api_route_is_documented() {
    let codes: Vec<&str> = (controller::kernel::error::CODES.iter().map(|(c, _)| *c))
        .chain(
            controller::kernel::error::REFUSALS
                .iter()
                .map(|(c, _, _)| *c),
        )
        .collect();
    for route in routes().table() {
        // The document itself is the one API path that is not described in it.
        if !route.path.starts_with("/api/") || route.path == "/api/v1/openapi.json" {
            continue;
        }
        let doc = route
            .doc
            .unwrap_or_else(|| panic!("{} {} has no Doc", route.method, route.path));
        for code in doc.errors {
            assert!(
                codes.contains(code),
                "{} {} names unknown code {code}",
                route.method,
                route.path
            );
        }
    }
}
