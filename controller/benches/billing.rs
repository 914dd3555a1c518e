//! Billing at scale, for `scripts/bench-billing.sh`: `BENCH_SUBSCRIPTIONS` subscriptions
//! (default 1,000,000) on one company, each on one of three plans from the 1st of last month.
//! Prints the seeding time, the run of this month (wall time, documents and rows written per
//! second, peak RSS during it), a second run of the same period (which must issue nothing),
//! `verify-ledger` over the result, and the PDF render rate on one core. Database:
//! `BENCH_DATABASE_URL` (PostgreSQL) or a fresh SQLite file. Prints figures; asserts only that
//! the books are sound and the second run issued nothing.

use controller::config::Config;
use controller::kernel::db::{now_ms, Backend};
use controller::kernel::i18n::Lang;
use controller::kernel::ids::InvoiceId;
use controller::kernel::scope::{Actor, Scope};
use controller::kernel::work::Work;
use controller::AppState;
use jiff::civil::date;
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: i64 = std::env::var("BENCH_SUBSCRIPTIONS").map_or(Ok(1_000_000), |v| v.parse())?;
    let mut config = Config::default();
    config.mqtt.embedded = false;
    config.jobs.scheduler = false;
    config.log.filter = "warn".into();
    config.database.url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) => url,
        Err(_) => {
            let dir =
                std::env::temp_dir().join(format!("setu-bench-billing-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            format!("sqlite://{}?mode=rwc", dir.join("setu.db").display())
        }
    };
    let store = controller::open_store(&config).await?;
    let state = controller::state(config, store).await?;
    state.clock.set_today(date(2026, 12, 1));
    let backend = state.store.backend();
    println!(
        "== {:?}, {n} subscriptions, batch {}",
        backend, state.config.billing.batch_size
    );

    let started = Instant::now();
    let scope = seed(&state, n).await?;
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());

    let before = rows(&state).await?;
    reset_peak_rss();
    let started = Instant::now();
    let run = run_december(&state, scope).await?;
    let secs = started.elapsed().as_secs_f64();
    let written = rows(&state).await? - before;
    println!(
        "run 2026-12: {secs:.1} s; {} invoices ({:.0}/s), total {} poisha; {written} rows written ({:.0} rows/s); peak RSS {} MiB",
        run.invoices,
        run.invoices as f64 / secs,
        run.total_poisha,
        written as f64 / secs,
        peak_rss_mib()
    );

    reset_peak_rss();
    let started = Instant::now();
    let again = run_december(&state, scope).await?;
    println!(
        "run 2026-12 again: {:.1} s, {} new documents; peak RSS {} MiB",
        started.elapsed().as_secs_f64(),
        again.invoices + again.credit_notes,
        peak_rss_mib()
    );
    assert_eq!(
        again.invoices + again.credit_notes,
        0,
        "a rerun issues nothing"
    );

    let started = Instant::now();
    let mut db = state.store.conn().await?;
    let report = controller::ledger::store::verify(&mut db).await?;
    println!(
        "verify-ledger: {:.1} s over {} entries and {} lines; {} problems",
        started.elapsed().as_secs_f64(),
        report.entries,
        report.lines,
        report.problems.len()
    );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    drop(db);

    pdf_rate(&state, scope).await
}

/// Three plans, a POP and router, billing on the defaults, then `n` subscribers with their
/// subscriptions inserted by the database itself (seeding is not what is measured).
async fn seed(state: &AppState, n: i64) -> anyhow::Result<Scope> {
    let company = controller::bootstrap::create_company(state, "Bench ISP").await?;
    let scope = Scope::system(company.id);
    let mut work = Work::system(state, scope, "bench").await?;
    controller::billing::service::save_settings(&mut work, &Default::default()).await?;
    let mut plans = Vec::new();
    for (name, down, taka) in [
        ("Home 5M", "5M", 500),
        ("Home 10M", "10M", 800),
        ("Home 20M", "20M", 1200),
    ] {
        let input = controller::plans::service::PlanInput {
            name: name.into(),
            download: down.into(),
            upload: down.into(),
            price_poisha: controller::kernel::money::Poisha::from_taka(taka),
            ..Default::default()
        };
        plans.push(
            controller::plans::service::create(&mut work, &input)
                .await?
                .id
                .0,
        );
    }
    let pop = controller::fleet::service::create_pop(
        &mut work,
        &controller::fleet::service::PopInput {
            name: "POP".into(),
            branch_id: None,
        },
    )
    .await?;
    let router = controller::fleet::service::create_router(
        &mut work,
        &controller::fleet::service::RouterInput {
            pop_id: Some(pop.id),
            name: "r1".into(),
        },
    )
    .await?;
    work.commit().await?;

    let (numbers, phone) = match state.store.backend() {
        Backend::Postgres => (
            "SELECT g AS n FROM generate_series(1, $6) g",
            "'017' || lpad(n::text, 8, '0')",
        ),
        Backend::Sqlite => (
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $6) SELECT n FROM g",
            "'017' || printf('%08d', n)",
        ),
    };
    let subscribers = format!(
        "INSERT INTO subscribers (company_id, router_id, plan_id, name, phone, pppoe_username,
             pppoe_password, status, created_at, updated_at)
         SELECT $1, $2, CASE n % 3 WHEN 0 THEN $3 WHEN 1 THEN $4 ELSE $5 END,
             'Subscriber ' || n, {phone}, 'user' || n, 'x', 'active', $7, $7
         FROM ({numbers}) numbers"
    );
    let mut db = state.store.conn().await?;
    sqlx::query(sqlx::AssertSqlSafe(subscribers))
        .bind(company.id.0)
        .bind(router.id.0)
        .bind(plans[0])
        .bind(plans[1])
        .bind(plans[2])
        .bind(n)
        .bind(now_ms())
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "INSERT INTO subscriptions (company_id, subscriber_id, plan_id, starts_on, is_primary, created_at)
         SELECT company_id, id, plan_id, '2026-11-01', 1, created_at FROM subscribers WHERE company_id = $1",
    )
    .bind(company.id.0)
    .execute(&mut *db)
    .await?;
    if state.store.backend() == Backend::Postgres {
        sqlx::query("ANALYZE").execute(&mut *db).await?;
    }
    Ok(scope)
}

async fn run_december(
    state: &AppState,
    scope: Scope,
) -> anyhow::Result<controller::billing::store::Run> {
    let period = "2026-12".parse()?;
    let run = controller::billing::run::run(
        state,
        scope,
        Actor::System("bench"),
        period,
        false,
        |_, _| {},
    );
    Ok(run.await?)
}

/// Rows in the tables a run writes.
async fn rows(state: &AppState) -> anyhow::Result<i64> {
    let mut db = state.store.conn().await?;
    let mut sum = 0;
    for table in [
        "invoices",
        "invoice_lines",
        "journal_entries",
        "journal_lines",
        "allocations",
    ] {
        let (count,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut *db)
                .await?;
        sum += count;
    }
    Ok(sum)
}

/// Renders 200 of the invoices one after another (one core), as the API's PDF route does.
async fn pdf_rate(state: &AppState, scope: Scope) -> anyhow::Result<()> {
    let mut work = Work::system(state, scope, "bench").await?;
    let settings = controller::billing::store::settings(work.db(), scope.company())
        .await?
        .unwrap_or_default();
    let count = 200;
    let started = Instant::now();
    let mut bytes = 0;
    for (i, id) in (1..=count).enumerate() {
        let shown = controller::billing::service::show(&mut work, InvoiceId(id)).await?;
        let lang = if i % 2 == 0 { Lang::En } else { Lang::Bn };
        let doc = controller::billing::pdf::document(
            &shown,
            &settings,
            lang,
            "https://isp.example/pay/x",
        );
        bytes += controller::billing::pdf::render(doc).await?.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "PDF: {count} invoices (English and Bangla alternating) in {secs:.1} s, {:.0}/s on one core, {} KB each on average",
        f64::from(count as u32) / secs,
        bytes / count as usize / 1024
    );
    Ok(())
}

/// Linux keeps the peak RSS (VmHWM) per process; writing 5 to clear_refs resets it.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
