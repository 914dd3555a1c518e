//! `routeros-sim`: the RouterOS API simulator as a process, for demos and tests in other
//! languages. Prints `routeros-sim listening on ADDR` once it accepts connections.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Context};
use clap::{Parser, ValueEnum};
use tests::routeros_sim::control::start_control;
use tests::routeros_sim::{
    parse_trickle, self_signed, start, Faults, RosVersion, SimConfig, TagPosition, TlsMode,
};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TagPlace {
    Second,
    Last,
}

#[derive(Debug, Parser)]
#[command(about = "RouterOS API simulator (a stand-in for MikroTik routers in tests)")]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8728")]
    listen: SocketAddr,
    /// API user as NAME:PASSWORD; repeatable.
    #[arg(long = "user", default_value = "admin:")]
    users: Vec<String>,
    /// RouterOS version to behave as (login methods, `!empty`, date format).
    #[arg(long, default_value = "7.18.2")]
    ros_version: RosVersion,
    /// api-ssl with this PEM certificate (with --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// api-ssl with a generated certificate; prints its SHA-256 fingerprint.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_anonymous_dh_only"])]
    tls_self_signed: bool,
    /// api-ssl without a certificate: refuses non-ADH clients with a handshake_failure alert.
    #[arg(long, conflicts_with = "tls_cert")]
    tls_anonymous_dh_only: bool,
    /// The api service's max-sessions.
    #[arg(long, default_value_t = 20)]
    max_sessions: usize,
    /// Where `.tag` goes in replies.
    #[arg(long, value_enum, default_value = "second")]
    tag_position: TagPlace,
    /// JSON file holding the router's configuration across restarts.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// /system/identity name.
    #[arg(long, default_value = "MikroTik")]
    identity: String,
    /// Delay before answering each command, in milliseconds.
    #[arg(long)]
    latency_ms: Option<u64>,
    /// Close a connection on its N-th client sentence.
    #[arg(long)]
    drop_after: Option<u64>,
    /// Send `!fatal` and close on a connection's N-th client sentence.
    #[arg(long)]
    fatal_after: Option<u64>,
    /// Stop writing after N reply sentences on a connection.
    #[arg(long)]
    hang_after: Option<u64>,
    /// Write replies BYTES at a time, MS milliseconds apart.
    #[arg(long, value_name = "BYTES:MS")]
    trickle: Option<String>,
    /// Line-based control port (ppp-up, ppp-down, hotspot-up, faults, rows...).
    #[arg(long)]
    control: Option<SocketAddr>,
    /// Add demo profiles, secrets and hand-made entries at start.
    #[arg(long)]
    seed_demo: bool,
}

fn parse_user(text: &str) -> anyhow::Result<(String, String)> {
    let (name, password) = text
        .split_once(':')
        .ok_or_else(|| anyhow!("--user wants NAME:PASSWORD, got {text:?}"))?;
    Ok((name.to_owned(), password.to_owned()))
}

fn config(args: &Args) -> anyhow::Result<SimConfig> {
    let tls = if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        Some(TlsMode::Certificate {
            cert_pem: std::fs::read(cert).with_context(|| format!("reading {}", cert.display()))?,
            key_pem: std::fs::read(key).with_context(|| format!("reading {}", key.display()))?,
        })
    } else if args.tls_self_signed {
        let generated = self_signed(&["localhost", &args.listen.ip().to_string()])?;
        println!(
            "routeros-sim certificate sha256 {}",
            generated.sha256_fingerprint
        );
        Some(TlsMode::Certificate {
            cert_pem: generated.cert_pem,
            key_pem: generated.key_pem,
        })
    } else if args.tls_anonymous_dh_only {
        Some(TlsMode::AnonymousDhOnly)
    } else {
        None
    };
    let trickle = match &args.trickle {
        None => None,
        Some(t) => Some(parse_trickle(t).ok_or_else(|| anyhow!("--trickle wants BYTES:MS"))?),
    };
    Ok(SimConfig {
        listen: args.listen,
        users: args
            .users
            .iter()
            .map(|u| parse_user(u))
            .collect::<anyhow::Result<_>>()?,
        ros_version: args.ros_version,
        tls,
        max_sessions: args.max_sessions,
        tag_position: match args.tag_position {
            TagPlace::Second => TagPosition::Second,
            TagPlace::Last => TagPosition::Last,
        },
        state_file: args.state_file.clone(),
        faults: Faults {
            reply_latency: Duration::from_millis(args.latency_ms.unwrap_or(0)),
            drop_after_sentences: args.drop_after,
            fatal_after_sentences: args.fatal_after,
            hang_after_reply_sentences: args.hang_after,
            trickle,
            garbage_reply: false,
        },
        identity: args.identity.clone(),
        board: "CHR".to_owned(),
    })
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let handle = start(config(&args)?).await?;
    if args.seed_demo {
        handle.seed_demo()?;
    }
    if let Some(addr) = args.control {
        let bound = start_control(handle.clone(), addr).await?;
        println!("routeros-sim control on {bound}");
    }
    println!("routeros-sim listening on {}", handle.addr());
    stop_signal().await;
    handle.shutdown().await;
    Ok(())
}
