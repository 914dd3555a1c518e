//! Cross-check with an independent client: Python librouteros 4.2.x.

use std::process::Command;

use tests::routeros_sim::{start, SimConfig};

/// Runs `python/librouteros_check.py` against a 7.18.2 simulator (so `!empty` appears) when
/// `SETU_CROSSCHECK_PYTHON` names an interpreter that has librouteros
/// (`pip install -r tests/python/requirements.txt`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librouteros_cross_check() {
    // Point it at a python with librouteros==4.2.2 installed.
    let Some(python) = tests::service("SETU_CROSSCHECK_PYTHON") else {
        return;
    };
    let sim = start(SimConfig::default()).await.unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/librouteros_check.py");
    let port = sim.addr().port().to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args([script, "127.0.0.1", &port])
            .output()
    })
    .await
    .unwrap()
    .expect("running the python interpreter");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "librouteros check failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("librouteros cross-check passed"),
        "{stdout}"
    );

    let secrets = sim.rows("/ppp/secret");
    assert_eq!(secrets.len(), 1, "{secrets:?}");
    assert_eq!(secrets[0]["name"], "lr-alice");
    assert_eq!(secrets[0]["disabled"], "true");
    assert_eq!(secrets[0]["profile"], "lr-10M");
    assert_eq!(secrets[0]["service"], "pppoe");
    let counts = sim.command_counts();
    assert_eq!(counts["/ppp/secret/add"], 3);
    assert_eq!(counts["/ppp/secret/set"], 1);
    assert_eq!(counts["/ppp/secret/remove"], 1);
}
