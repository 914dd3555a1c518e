//! The `routeros-sim` binary: startup line, control port, state saved on SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};

use crate::support::{s, Client};

fn line_value(line: &str, prefix: &str) -> Option<SocketAddr> {
    line.strip_prefix(prefix)?.trim().parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_serves_controls_and_saves_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("routeros-sim-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);
    let mut child = Command::new(env!("CARGO_BIN_EXE_routeros-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--control",
            "127.0.0.1:0",
            "--seed-demo",
        ])
        .arg("--state-file")
        .arg(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut control = None;
    let mut api = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        control = control.or_else(|| line_value(&line, "routeros-sim control on "));
        api = line_value(&line, "routeros-sim listening on ");
        if api.is_some() {
            break;
        }
    }
    let (api, control) = (api.expect("listening line"), control.expect("control line"));

    let mut c = Client::logged_in(api).await;
    assert_eq!(
        c.call(&["/ppp/secret/add", "=name=from-test"]).await[0][0],
        "!done"
    );
    let answers = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(control).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut answers = Vec::new();
        for cmd in [
            "ppp-up demo-rahim rahim123 10.20.0.11 AA:BB:CC:DD:EE:01",
            "ppp-up demo-rahim wrong 10.20.0.11 AA:BB:CC:DD:EE:01",
            "rows /ppp/active",
            "ppp-down demo-rahim",
        ] {
            writeln!(stream, "{cmd}").unwrap();
            let mut answer = String::new();
            reader.read_line(&mut answer).unwrap();
            answers.push(answer.trim_end().to_owned());
        }
        answers
    })
    .await
    .unwrap();
    assert_eq!(answers[0], "ok *80000001");
    assert!(answers[1].starts_with("err "), "{}", answers[1]);
    assert!(
        answers[2].contains("\"name\":\"demo-rahim\""),
        "{}",
        answers[2]
    );
    assert_eq!(answers[3], "ok");
    assert_eq!(
        c.call(&["/ppp/active/print"]).await,
        vec![s(&["!empty"]), s(&["!done"])]
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit}");
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(
        saved.contains("from-test") && saved.contains("demo-karim"),
        "{saved}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
