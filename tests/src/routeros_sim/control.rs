//! A line-based TCP control port for tests and demos in other processes. One command a line,
//! one answer a line:
//!
//! ```text
//! ppp-up NAME PASSWORD ADDRESS CALLER-ID   -> ok *80000001 | err <text>
//! ppp-down NAME                            -> ok | err no session
//! hotspot-up USER PASSWORD ADDRESS MAC     -> ok *1 | err <text>
//! hotspot-down USER                        -> ok | err no session
//! faults [latency-ms=N] [drop-after=N] [fatal-after=N] [hang-after=N] [trickle=BYTES:MS] [garbage=true]
//!                                          -> ok   (replaces all faults; `faults` alone clears them)
//! rows /ppp/secret                         -> [{".id":"*1",...}, ...]   (one JSON line)
//! counts                                   -> {"/ppp/secret/add":3, ...}
//! ```
//! Words are separated by spaces; `""` stands for an empty password.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::{parse_trickle, Faults, SimHandle};

/// Binds `addr` and serves control connections in the background. Returns the bound address.
pub async fn start_control(handle: SimHandle, addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the control port {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, handle.clone()));
        }
    });
    Ok(bound)
}

async fn serve(stream: TcpStream, handle: SimHandle) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut answer = execute(&handle, &line);
        answer.push('\n');
        if write.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Runs one control line and returns the answer (without newline).
pub fn execute(handle: &SimHandle, line: &str) -> String {
    let words: Vec<&str> = line
        .split_whitespace()
        .map(|w| if w == "\"\"" { "" } else { w })
        .collect();
    let result = match words.as_slice() {
        ["ppp-up", name, password, address, caller_id] => parse_ip(address).and_then(|ip| {
            handle
                .ppp_connect(name, password, ip, caller_id)
                .map_err(|e| e.to_string())
        }),
        ["ppp-down", name] => session_ended(handle.ppp_disconnect(name)),
        ["hotspot-up", user, password, address, mac] => parse_ip(address).and_then(|ip| {
            handle
                .hotspot_login(user, password, ip, mac)
                .map_err(|e| e.to_string())
        }),
        ["hotspot-down", user] => session_ended(handle.hotspot_logout(user)),
        ["faults", settings @ ..] => parse_faults(settings).map(|f| {
            handle.set_faults(f);
            String::new()
        }),
        ["rows", menu] => {
            return serde_json::to_string(&handle.rows(menu)).unwrap_or_else(|e| format!("err {e}"))
        }
        ["counts"] => {
            return serde_json::to_string(&handle.command_counts())
                .unwrap_or_else(|e| format!("err {e}"))
        }
        _ => Err(format!("unknown command: {line}")),
    };
    match result {
        Ok(s) if s.is_empty() => "ok".to_owned(),
        Ok(s) => format!("ok {s}"),
        Err(e) => format!("err {e}"),
    }
}

fn parse_ip(text: &str) -> Result<Ipv4Addr, String> {
    text.parse()
        .map_err(|_| format!("not an IPv4 address: {text}"))
}

fn session_ended(ended: bool) -> Result<String, String> {
    if ended {
        Ok(String::new())
    } else {
        Err("no session".to_owned())
    }
}

fn parse_faults(settings: &[&str]) -> Result<Faults, String> {
    let mut faults = Faults::default();
    for setting in settings {
        let (key, value) = setting
            .split_once('=')
            .ok_or_else(|| format!("expected key=value: {setting}"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("not a number: {setting}"))
        };
        match key {
            "latency-ms" => faults.reply_latency = Duration::from_millis(number()?),
            "drop-after" => faults.drop_after_sentences = Some(number()?),
            "fatal-after" => faults.fatal_after_sentences = Some(number()?),
            "hang-after" => faults.hang_after_reply_sentences = Some(number()?),
            "trickle" => {
                faults.trickle = Some(
                    parse_trickle(value).ok_or_else(|| format!("expected BYTES:MS: {setting}"))?,
                )
            }
            "garbage" => faults.garbage_reply = value == "true",
            _ => return Err(format!("unknown fault: {key}")),
        }
    }
    Ok(faults)
}
