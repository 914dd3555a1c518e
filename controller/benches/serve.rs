//! Serves a controller seeded with 100,000 branches for `scripts/bench-controller.sh`, which
//! loads it with wrk from another process. Prints the URL, a session cookie and the argon2id
//! login rate, then serves until stdin closes. Database: `BENCH_DATABASE_URL` (PostgreSQL) or a
//! fresh SQLite file.

use controller::config::Config;
use controller::kernel::db::now_ms;
use controller::kernel::http::session;
use controller::kernel::random;
use controller::kernel::scope::Scope;
use controller::AppState;
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
    let state = controller::state(config, store).await?;
    let (scope, token) = seed(&state).await?;

    // Login cost: one argon2id verification per attempt, on one core.
    let hash = controller::kernel::password::hash("correct horse battery staple");
    let started = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        assert!(controller::kernel::password::verify(
            "correct horse battery staple",
            &hash
        ));
    }
    let per_sec = f64::from(rounds) / started.elapsed().as_secs_f64();
    println!("LOGIN_RATE {per_sec:.1}");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM branches WHERE company_id = $1")
        .bind(scope.company().0)
        .fetch_one(state.store.pool())
        .await?;
    println!("ROWS {rows}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("URL http://{}", listener.local_addr()?);
    println!(
        "COOKIE {}={token}",
        session::cookie_name(&state, session::SESSION_COOKIE)
    );
    println!("PID {}", std::process::id());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        // Serve until the driving script closes our stdin.
        for _ in std::io::stdin().lock().lines() {}
        let _ = stop.send(());
    });
    controller::serve(state, listener, async {
        let _ = stopped.await;
    })
    .await?;
    Ok(())
}

async fn seed(state: &AppState) -> anyhow::Result<(Scope, String)> {
    let store = &state.store;
    let company = controller::bootstrap::create_company(state, "Bench ISP").await?;
    let scope = Scope::system(company.id);
    let owner = controller::bootstrap::create_staff(
        state,
        scope,
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
    .bind(scope.company().0)
    .bind(now_ms())
    .bind(BRANCHES)
    .execute(store.pool())
    .await?;
    // Statistics as autovacuum/analyze would have them on a live system.
    sqlx::query("ANALYZE branches")
        .execute(store.pool())
        .await?;
    let token = random::token();
    session::create(
        &mut *store.conn().await?,
        &random::sha256_hex(&token),
        owner.id,
        Some(scope.company()),
        &random::token(),
        false,
    )
    .await?;
    Ok((scope, token))
}
