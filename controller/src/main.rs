//! `setu-controller`: parses the command line and hands over to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use controller::config::{self, Config};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "setu-controller",
    version,
    about = "Setu controller: the ISP's office"
)]
struct Cli {
    /// TOML configuration file (see `default-config`).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Address to serve HTTP on (overrides http.listen).
    #[arg(long, global = true)]
    listen: Option<String>,
    /// Database URL (overrides database.url), e.g. postgres://user:pw@host/db.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Data directory (overrides data_dir).
    #[arg(long, global = true)]
    data_dir: Option<String>,
    /// Log JSON lines.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and API (the default).
    Serve,
    /// Serve with a demo company, branches and one user per role (credentials printed).
    Demo,
    /// Apply database migrations and exit.
    Migrate,
    /// Create the first platform admin; the password is read from SETU_ADMIN_PASSWORD.
    CreateAdmin { username: String },
    /// Check the audit log's hash chain.
    VerifyAudit,
    /// Check the books: every entry balances, every document has its entry, every company's
    /// trial balance sums to zero.
    VerifyLedger,
    /// Billing from the command line.
    Billing {
        #[command(subcommand)]
        command: BillingCommand,
    },
    /// Print a commented example configuration.
    DefaultConfig,
}

#[derive(Subcommand)]
enum BillingCommand {
    /// Run billing for a period (every company with billing settings, or one), with progress
    /// and a summary; a run stopped half-way is completed by running it again.
    Run {
        /// The period, YYYY-MM.
        #[arg(long)]
        period: String,
        /// Only this company.
        #[arg(long)]
        company: Option<i64>,
        /// Show what would be issued; write nothing but the run's record.
        #[arg(long)]
        dry_run: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if matches!(cli.command, Some(Command::DefaultConfig)) {
        print!("{}", config::EXAMPLE);
        return Ok(());
    }
    let mut overrides = Vec::new();
    if let Some(v) = &cli.listen {
        overrides.push(("http.listen", toml::Value::String(v.clone())));
    }
    if let Some(v) = &cli.database_url {
        overrides.push(("database.url", toml::Value::String(v.clone())));
    }
    if let Some(v) = &cli.data_dir {
        overrides.push(("data_dir", toml::Value::String(v.clone())));
    }
    if cli.log_json {
        overrides.push(("log.json", toml::Value::Boolean(true)));
    }
    let config = config::load(cli.config.as_deref(), std::env::vars(), &overrides)?;
    init_tracing(&config);
    tracing::debug!(?config, "configuration");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(dispatch(cli.command.unwrap_or(Command::Serve), config))
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.filter)
        .unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if config.log.json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn dispatch(command: Command, config: Config) -> anyhow::Result<()> {
    let store = controller::open_store(&config)
        .await
        .context("opening the database")?;
    match command {
        Command::Migrate => {
            println!("database is migrated");
            Ok(())
        }
        Command::CreateAdmin { username } => {
            let password = std::env::var("SETU_ADMIN_PASSWORD")
                .context("set SETU_ADMIN_PASSWORD to the new admin's password")?;
            if let Err(code) = controller::kernel::password::check_strength(&password) {
                anyhow::bail!(
                    "password refused: {}",
                    controller::kernel::i18n::t(controller::kernel::i18n::Lang::En, code)
                );
            }
            controller::bootstrap::create_platform_admin(&store, &username, &password).await?;
            println!("platform admin {username} created");
            Ok(())
        }
        Command::VerifyAudit => {
            match controller::kernel::audit::verify(&mut *store.conn().await?).await? {
                Ok(n) => {
                    println!("audit chain intact: {n} entries");
                    Ok(())
                }
                Err(broken) => anyhow::bail!("audit chain broken: {broken}"),
            }
        }
        Command::VerifyLedger => {
            let started = std::time::Instant::now();
            let report = controller::ledger::store::verify(&mut *store.conn().await?).await?;
            if report.problems.is_empty() {
                println!(
                    "ledger sound: {} entries, {} lines, every trial balance zero ({:.1} s)",
                    report.entries,
                    report.lines,
                    started.elapsed().as_secs_f64()
                );
                Ok(())
            } else {
                for problem in &report.problems {
                    eprintln!("{problem}");
                }
                anyhow::bail!("the ledger has {} problems", report.problems.len())
            }
        }
        Command::Billing {
            command:
                BillingCommand::Run {
                    period,
                    company,
                    dry_run,
                },
        } => {
            let state = controller::state(config, store).await?;
            controller::billing::cli::run(&state, &period, company, dry_run).await
        }
        Command::Demo => {
            let state = controller::state(config, store).await?;
            let logins = controller::bootstrap::seed_demo(&state).await?;
            serve(state, Some(logins)).await
        }
        Command::Serve => serve(controller::state(config, store).await?, None).await,
        Command::DefaultConfig => unreachable!("handled before the runtime starts"),
    }
}

async fn serve(
    state: controller::AppState,
    demo: Option<Vec<controller::bootstrap::DemoLogin>>,
) -> anyhow::Result<()> {
    let listen = state.config.http.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let url = format!("http://{}/", listener.local_addr()?);
    tracing::info!(%url, backend = ?state.store.backend(), "serving");
    if let Some(logins) = demo {
        println!("Setu controller demo on {url}");
        if logins.is_empty() {
            println!(
                "(demo company already present; its passwords were printed when it was created)"
            );
        }
        for login in logins {
            println!(
                "  {:<14} {:<22} password {}",
                login.role, login.username, login.password
            );
        }
    }
    controller::serve(state, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
