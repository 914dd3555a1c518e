//! `setu-agent`: parses the command line and hands over to the library.

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use edge_agent::config::{read_password, AgentConfig};
use edge_agent::reconcile::{self, ReconcileOptions};
use edge_agent::routeros::{tls::parse_fingerprint, Client, ConnectOptions, Trust};
use provisioning::{Policy, Suspension};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "setu-agent",
    version,
    about = "Setu edge agent: keeps a MikroTik router in its desired state"
)]
struct Cli {
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Read the router, print the plan that converges it to the desired state, and apply it.
    Reconcile {
        #[command(flatten)]
        router: RouterArgs,
        /// Desired-state file (.toml or .json).
        #[arg(long)]
        desired: PathBuf,
        /// Print the plan, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// `disable` or `walled-garden:<profile>`.
        #[arg(long, default_value = "disable")]
        suspension: String,
        /// Override the guard rail on removing/disabling many entries at once.
        #[arg(long)]
        allow_mass_changes: bool,
        /// Override the guard rail on an empty desired state.
        #[arg(long)]
        allow_empty: bool,
        /// Take over unmanaged entries whose names match desired ones.
        #[arg(long)]
        adopt_matching_names: bool,
    },
    /// Shadow mode: report what Setu would take over on this router; change nothing.
    Adopt {
        #[command(flatten)]
        router: RouterArgs,
        #[arg(long)]
        desired: PathBuf,
    },
    /// Enroll with a Setu controller using the one-time token from its router page: makes this
    /// agent's key pair and stores the key and credentials (mode 0600) in --state-dir.
    Enroll {
        /// The controller's URL, e.g. https://setu.example.net
        #[arg(long)]
        controller: String,
        #[arg(long)]
        token: String,
        #[arg(long, default_value = "/var/lib/setu-agent")]
        state_dir: PathBuf,
        /// PEM CA of the controller's HTTPS certificate.
        #[arg(long)]
        controller_ca: Option<PathBuf>,
    },
    /// Run continuously: reconcile periodically and on change, serve the status page.
    Run {
        #[arg(long)]
        config: PathBuf,
    },
    /// Print a commented example configuration.
    DefaultConfig,
}

#[derive(Args)]
struct RouterArgs {
    /// HOST:PORT of the router's API (8728) or API-SSL (8729).
    #[arg(long)]
    router: String,
    #[arg(long)]
    user: String,
    /// File holding the password (one trailing newline ignored).
    #[arg(long)]
    password_file: PathBuf,
    /// API-SSL, trusting the certificate with this SHA-256 fingerprint.
    #[arg(long, conflicts_with = "tls_ca")]
    tls_fingerprint: Option<String>,
    /// API-SSL, trusting certificates signed by this CA (PEM).
    #[arg(long)]
    tls_ca: Option<PathBuf>,
}

impl RouterArgs {
    fn options(&self) -> anyhow::Result<ConnectOptions> {
        let password = read_password(&self.password_file)?;
        let mut options = ConnectOptions::new(&self.router, &self.user, password);
        if let Some(fp) = &self.tls_fingerprint {
            options.tls = Some(Trust::PinnedSha256(
                parse_fingerprint(fp).map_err(anyhow::Error::msg)?,
            ));
        } else if let Some(ca) = &self.tls_ca {
            let pem = std::fs::read(ca).with_context(|| format!("cannot read {}", ca.display()))?;
            let certs =
                rustls_pemfile::certs(&mut pem.as_slice()).collect::<Result<Vec<_>, _>>()?;
            options.tls = Some(Trust::Ca(certs));
        }
        Ok(options)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(json: bool) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn dispatch(command: Commands) -> anyhow::Result<ExitCode> {
    match command {
        Commands::DefaultConfig => {
            print!("{}", edge_agent::config::EXAMPLE);
            Ok(ExitCode::SUCCESS)
        }
        Commands::Enroll {
            controller,
            token,
            state_dir,
            controller_ca,
        } => {
            let ca = match &controller_ca {
                Some(file) => {
                    let pem = std::fs::read(file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    Some(
                        rustls_pemfile::certs(&mut pem.as_slice())
                            .collect::<Result<Vec<_>, _>>()?,
                    )
                }
                None => None,
            };
            let enrollment =
                edge_agent::link::identity::enroll(&controller, &token, &state_dir, ca.as_deref())
                    .await?;
            println!(
                "enrolled as {} · MQTT {} · state in {}\nnow run the agent with [controller] state_dir = {:?}",
                enrollment.agent_id,
                enrollment.mqtt_url,
                state_dir.display(),
                state_dir.display().to_string()
            );
            Ok(ExitCode::SUCCESS)
        }
        Commands::Run { config } => {
            let config = AgentConfig::load(&config)?;
            let listener = tokio::net::TcpListener::bind(config.status.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.status.listen))?;
            tracing::info!(status_page = %listener.local_addr()?, router = %config.router.address, "agent running");
            edge_agent::run(config, listener, shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Commands::Adopt { router, desired } => {
            let (_, desired) = edge_agent::desired::load_file(&desired)?;
            let client = Client::connect(router.options()?).await?;
            let (observed, _) = reconcile::read_observed(&client).await?;
            println!("{}", provisioning::adopt(&desired, &observed));
            client.quit().await;
            Ok(ExitCode::SUCCESS)
        }
        Commands::Reconcile {
            router,
            desired,
            dry_run,
            suspension,
            allow_mass_changes,
            allow_empty,
            adopt_matching_names,
        } => {
            let (version, desired) = edge_agent::desired::load_file(&desired)?;
            let policy = Policy {
                suspension: parse_suspension(&suspension)?,
                allow_mass_changes,
                allow_empty_desired: allow_empty,
                adopt_matching_names,
                ..Policy::default()
            };
            let client = Client::connect(router.options()?).await?;
            let caps = client.capabilities();
            println!(
                "router {} · RouterOS {} · {} · desired version {version}",
                caps.identity, caps.version, caps.board
            );
            let options = ReconcileOptions {
                policy,
                dry_run,
                ..ReconcileOptions::default()
            };
            let outcome = reconcile::reconcile(&client, &desired, &options).await?;
            client.quit().await;
            if outcome.plan.is_empty() {
                println!(
                    "in sync: nothing to do ({} managed entries)",
                    outcome.managed_entries
                );
                return Ok(ExitCode::SUCCESS);
            }
            print!("{}", outcome.plan);
            for note in &outcome.plan.notes {
                println!("note: {note}");
            }
            if dry_run {
                println!(
                    "dry run: {} operations planned, none applied",
                    outcome.plan.ops.len()
                );
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "applied {}/{} operations in {} ms",
                outcome.applied,
                outcome.plan.ops.len(),
                outcome.duration.as_millis()
            );
            for failure in &outcome.failures {
                println!("failed: {failure}");
            }
            Ok(if outcome.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
    }
}

fn parse_suspension(text: &str) -> anyhow::Result<Suspension> {
    match text.split_once(':') {
        None if text == "disable" => Ok(Suspension::Disable),
        Some(("walled-garden", profile)) if !profile.is_empty() => Ok(Suspension::WalledGarden {
            ppp_profile: profile.to_owned(),
            hotspot_profile: None,
        }),
        _ => bail!("--suspension: expected `disable` or `walled-garden:<profile>`, got {text:?}"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
}
