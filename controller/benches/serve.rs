//! Serves a controller seeded with 100,000 branches for `scripts/bench-controller.sh`, which
//! loads it with wrk from another process. Prints the URL, a session cookie and the argon2id
//! login rate, then serves until stdin closes. Database: `BENCH_DATABASE_URL` (PostgreSQL) or a
//! fresh SQLite file.

use controller::config::Config;
use controller::store::{self, sessions, Store, Tenant};
use std::io::BufRead;
use std::time::Instant;

const BRANCHES: i64 = 100_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut config = Config::default();
    config.mqtt.embedded = false;
    config.log.filter = "warn".into();
    config.database.url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) => url,
        Err(_) => {
            let dir = std::env::temp_dir().join(format!("setu-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            format!("sqlite://{}?mode=rwc", dir.join("setu.db").display())
        }
    };
    let store = controller::open_store(&config).await?;
    let (tenant, token) = seed(&store).await?;

    // Login cost: one argon2id verification per attempt, on one core.
    let hash = controller::password::hash("correct horse battery staple");
    let started = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        assert!(controller::password::verify(
            "correct horse battery staple",
            &hash
        ));
    }
    let per_sec = f64::from(rounds) / started.elapsed().as_secs_f64();
    println!("LOGIN_RATE {per_sec:.1}");
    println!("ROWS {}", store::branches::count(&store, &tenant).await?);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("URL http://{}", listener.local_addr()?);
    println!("COOKIE setu_session={token}");
    println!("PID {}", std::process::id());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        // Serve until the driving script closes our stdin.
        for _ in std::io::stdin().lock().lines() {}
        let _ = stop.send(());
    });
    controller::run(config, store, listener, async {
        let _ = stopped.await;
    })
    .await?;
    Ok(())
}

async fn seed(store: &Store) -> anyhow::Result<(Tenant, String)> {
    let company = controller::bootstrap::create_company(store, "Bench ISP").await?;
    let tenant = Tenant::company(company.id);
    let owner = controller::bootstrap::create_staff(
        store,
        &tenant,
        "bench-owner",
        "Bench",
        "bench-password-1",
        "owner",
    )
    .await?;
    // One portable statement for both engines.
    sqlx::query(
        "INSERT INTO branches (company_id, name, created_at)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3)
         SELECT $1, 'Branch ' || i, $2 FROM n",
    )
    .bind(tenant.company.0)
    .bind(store::now_ms())
    .bind(BRANCHES)
    .execute(store.pool())
    .await?;
    // Statistics as autovacuum/analyze would have them on a live system.
    sqlx::query("ANALYZE branches")
        .execute(store.pool())
        .await?;
    let token = controller::random::token();
    sessions::create(
        store,
        &controller::random::sha256_hex(&token),
        owner.id,
        Some(tenant.company),
        &controller::random::token(),
        false,
    )
    .await?;
    Ok((tenant, token))
}
