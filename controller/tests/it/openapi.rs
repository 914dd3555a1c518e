//! The OpenAPI document: generated from the route table and the Rust types, complete enough to
//! generate a client from, and valid for an independent validator.

use crate::helpers::{spawn_app, Client};

#[tokio::test]
async fn every_api_route_is_described_with_its_schemas_and_errors() {
    let app = spawn_app().await;
    let spec = Client::new(&app).get("/api/v1/openapi.json").await.json();
    assert_eq!(spec["openapi"], "3.1.0");
    for route in controller::kernel::http::routes().table() {
        if !route.path.starts_with("/api/") || route.path == "/api/v1/openapi.json" {
            continue;
        }
        let op = &spec["paths"][route.path][route.method.to_lowercase()];
        assert!(op.is_object(), "{} {} missing", route.method, route.path);
        assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(op["x-permission"].is_string());
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{} {}",
            route.method,
            route.path
        );
        assert!(responses.contains_key("500"));
        if route.path.contains("{id}") {
            assert!(
                responses.contains_key("404"),
                "{} {}",
                route.method,
                route.path
            );
            assert_eq!(op["parameters"][0]["in"], "path");
        }
        if matches!(route.method, "POST" | "PUT" | "PATCH") && op["requestBody"].is_object() {
            assert!(responses.contains_key("422") || responses.contains_key("400"));
        }
    }
    // Bodies and answers are the Rust types' schemas, by reference.
    let create = &spec["paths"]["/api/v1/subscribers"]["post"];
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/SubscriberInput"
    );
    assert_eq!(
        create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Subscriber"
    );
    let schemas = &spec["components"]["schemas"];
    // A subscriber is its record plus the fields staff set (flattened: `allOf`).
    assert_eq!(
        schemas["Subscriber"]["allOf"][0]["$ref"],
        "#/components/schemas/SubscriberFields"
    );
    assert!(schemas["SubscriberFields"]["properties"]["pppoe_username"].is_object());
    assert!(
        schemas["SubscriberFields"]["properties"]["pppoe_password"].is_null(),
        "never in an answer"
    );
    assert!(schemas["ErrorBody"]["properties"]["code"].is_object());
    let list = &spec["paths"]["/api/v1/routers"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"];
    assert_eq!(
        list["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/Router"
    );
    assert!(
        spec["paths"]["/api/v1/branches/{id}"]["delete"]["responses"]["409"]["description"]
            .as_str()
            .unwrap()
            .contains("in_use")
    );
}

/// `openapi-spec-validator` (PyPI), an independent implementation of the specification, accepts
/// the document. Runs with `SETU_CROSSCHECK_PYTHON` (a Python with it installed; `.ci/run`'s
/// venv from `tests/python/requirements.txt`).
#[tokio::test]
async fn an_independent_validator_accepts_the_document() {
    let Some(python) = crate::helpers::service("SETU_CROSSCHECK_PYTHON") else {
        return;
    };
    let app = spawn_app().await;
    let spec = Client::new(&app).get("/api/v1/openapi.json").await.body;
    let file = std::env::temp_dir().join(format!("setu-openapi-{}.json", std::process::id()));
    std::fs::write(&file, spec).unwrap();
    let output = std::process::Command::new(&python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "openapi-spec-validator refused it:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("OK"), "{stdout}");
}
