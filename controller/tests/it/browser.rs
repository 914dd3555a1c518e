//! The pages in a real browser: `tests/browser/ui.test.mjs` drives Debian's Chromium (through
//! playwright-core) against a controller started here. Needs Node.js, `/usr/bin/chromium` and
//! `npm ci` in `tests/browser` (`scripts/setup-browser.sh` does both), so it runs only with
//! `SETU_BROWSER_TESTS=1`, which `.ci/run` sets.
//!
//! Passed through to the script when set: `SCREENSHOT_DIR` (a PNG per step), `VIEWPORT`
//! (`390x844` for a phone) and `BROWSER_STEPS` (e.g. `a,b,e,f`).

use crate::helpers::{company, password_of, spawn_app};
use std::path::PathBuf;
use std::process::Command;

const NEW_USER: &str = "tech-browser";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_in_chromium() {
    if crate::helpers::service("SETU_BROWSER_TESTS").is_none() {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "{} has no node_modules/playwright-core: run scripts/setup-browser.sh",
        dir.display()
    );

    let app = spawn_app().await;
    let company = company(
        &app,
        "Browser ISP",
        &[("owner-b", "owner"), ("collector-b", "collector")],
    )
    .await;
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let branch = format!("Browser Branch {millis}");

    let mut node = Command::new("node");
    node.arg(dir.join("ui.test.mjs"))
        .current_dir(&dir)
        .env("BASE_URL", format!("http://localhost:{}", app.addr.port()))
        .env("OWNER_USER", "owner-b")
        .env("OWNER_PASSWORD", password_of("owner-b"))
        .env("COLLECTOR_USER", "collector-b")
        .env("COLLECTOR_PASSWORD", password_of("collector-b"))
        .env("NEW_USER", NEW_USER)
        .env("NEW_USER_PASSWORD", password_of(NEW_USER))
        .env("BRANCH_NAME", &branch);
    let output = tokio::task::spawn_blocking(move || node.output())
        .await
        .unwrap()
        .expect("start node (is Node.js installed?)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "ui.test.mjs failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    print!("{stdout}");

    // What the browser did, as the store sees it.
    let steps = std::env::var("BROWSER_STEPS").unwrap_or_else(|_| "a,b,c,d,e,f,g".into());
    let ran = |step: &str| steps.split(',').any(|s| s.trim() == step);
    let mut work = app.read(company.scope).await;
    if ran("b") {
        let page = controller::kernel::http::list::PageQuery::first(500);
        let branches = controller::tenancy::store::branches(&mut work, &page)
            .await
            .unwrap()
            .items;
        assert!(
            branches.iter().any(|b| b.name == branch),
            "branch {branch:?} not in the store: {branches:?}"
        );
    }
    if ran("c") {
        let page = controller::kernel::http::list::PageQuery::first(500);
        let staff = controller::staff::store::members(&mut work, &page)
            .await
            .unwrap()
            .items;
        let role = staff
            .iter()
            .find(|m| m.user.username == NEW_USER)
            .map(|m| m.role.as_str());
        assert_eq!(
            role,
            Some("technician"),
            "{NEW_USER} is not a technician of the company"
        );
    }
    if ran("g") {
        assert!(
            controller::staff::store::credentials(work.db(), "collector-b")
                .await
                .unwrap()
                .unwrap()
                .has_second_factor,
            "the collector's second factor is not on"
        );
    }
}
