//! Billing end to end through the API (and the services where a job or a second replica acts):
//! the first invoice of a new subscriber, late entries, upgrades, downgrades, terminations,
//! pauses, runs that are exactly once whatever is killed or doubled, dry runs, the document
//! lifecycle with its numbers, credit notes and advances, the ledger and its checks, PDFs, and
//! bad input that changes nothing. The business clock is set to the day each scenario needs.

use crate::helpers::{company, spawn_app, Client, TestApp};
use billing_core::period::PeriodKey;
use controller::kernel::db::Backend;
use controller::kernel::scope::{Actor, Scope};
use jiff::civil::{date, Date};
use serde_json::{json, Value};

/// A company that bills: an owner signed in, a router, two plans (1,000 and 2,000 taka),
/// billing switched on with the defaults (fixed on the 1st, prepaid, due on the 10th, VAT 5 %).
struct Isp {
    app: TestApp,
    made: u32,
    c: Client,
    scope: Scope,
    router: i64,
    home: i64,
    fast: i64,
}

async fn isp(today: Date) -> Isp {
    let app = spawn_app().await;
    app.state.clock.set_today(today);
    let padma = company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut c = Client::login_as(&app, "owner1").await;
    let mut create = async |path: &str, body: Value| {
        let r = c.json("POST", path, &body.to_string()).await;
        assert_eq!(r.status, 201, "{path}: {}", r.body);
        r.json()["id"].as_i64().unwrap()
    };
    let pop = create("/api/v1/pops", json!({"name": "POP"})).await;
    let router = create("/api/v1/routers", json!({"pop_id": pop, "name": "r1"})).await;
    let home = create(
        "/api/v1/plans",
        json!({"name": "Home 10M", "download": "10M", "upload": "5M", "price_poisha": 100_000}),
    )
    .await;
    let fast = create(
        "/api/v1/plans",
        json!({"name": "Fast 20M", "download": "20M", "upload": "10M", "price_poisha": 200_000}),
    )
    .await;
    let r = c.json("PUT", "/api/v1/billing/settings", "{}").await;
    assert_eq!(r.status, 200, "{}", r.body);
    Isp {
        app,
        made: 0,
        c,
        scope: padma.scope,
        router,
        home,
        fast,
    }
}

impl Isp {
    /// A subscriber on `plan` from `starts_on` (today when empty); their id.
    async fn subscriber(&mut self, name: &str, plan: i64, starts_on: &str) -> i64 {
        self.made += 1;
        let body = json!({
            "name": name, "phone": "01712345678", "router_id": self.router, "plan_id": plan,
            "pppoe_username": format!("user{}", self.made), "pppoe_password": "secret-1",
            "starts_on": starts_on,
        });
        let r = self
            .c
            .json("POST", "/api/v1/subscribers", &body.to_string())
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }

    async fn invoices(&mut self, subscriber: i64) -> Vec<Value> {
        let r = self
            .c
            .get(&format!("/api/v1/invoices?subscriber_id={subscriber}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let mut items = r.json()["items"].as_array().unwrap().clone();
        items.reverse();
        items
    }

    async fn run(&mut self, period: &str) -> Value {
        let r = self
            .c
            .json(
                "POST",
                "/api/v1/billing/runs",
                &json!({"period": period}).to_string(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()
    }

    async fn trial_balance(&mut self) -> Vec<Value> {
        let r = self.c.get("/api/v1/ledger/trial-balance").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["balanced"], true, "{}", r.body);
        let items = r.json()["items"].as_array().unwrap().clone();
        let sum: i64 = items
            .iter()
            .map(|a| a["balance_poisha"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 0, "the trial balance sums to zero");
        items
    }

    async fn ledger_sound(&self) {
        let mut db = self.app.store.conn().await.unwrap();
        let report = controller::ledger::store::verify(&mut db).await.unwrap();
        assert!(report.problems.is_empty(), "{:#?}", report.problems);
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(self.app.store.pool())
            .await
            .unwrap()
    }
}

fn lines(invoice: &Value) -> Vec<(i64, i64, i64)> {
    invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["net_poisha"].as_i64().unwrap(),
                l["vat_poisha"].as_i64().unwrap(),
                l["total_poisha"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Added on the 17th, a subscriber gets their first invoice at once, for the 15 days left of
/// the month (start and end day counted): 1,000 × 15 / 31 = 483.87 taka and 5 % VAT 24.19. The
/// month's run then adds nothing for them; the next month's bills the full month.
#[tokio::test]
async fn a_new_subscriber_is_billed_the_rest_of_the_month_at_once() {
    let mut isp = isp(date(2026, 12, 17)).await;
    let rahim = isp.subscriber("Rahim", isp.home, "").await;
    let invoices = isp.invoices(rahim).await;
    assert_eq!(invoices.len(), 1, "{invoices:#?}");
    let first = &invoices[0];
    assert_eq!(first["period"], "2026-12");
    assert_eq!(first["status"], "finalised");
    assert_eq!(first["kind"], "invoice");
    assert_eq!(first["number"], "INV-2026-27-000001");
    assert_eq!(lines(first), vec![(48_387, 2_419, 50_806)]);
    assert_eq!(first["lines"][0]["quantity"], 1);
    assert_eq!(first["lines"][0]["unit_price_poisha"], 48_387);
    assert_eq!(first["total_poisha"], 50_806);
    assert_eq!(first["outstanding_poisha"], 50_806);

    let december = isp.run("2026-12").await;
    assert_eq!(december["invoices"], 0, "{december}");
    assert_eq!(isp.invoices(rahim).await.len(), 1);

    isp.app.state.clock.set_today(date(2027, 1, 1));
    let january = isp.run("2027-01").await;
    assert_eq!(january["invoices"], 1, "{january}");
    let invoices = isp.invoices(rahim).await;
    assert_eq!(invoices.len(), 2);
    assert_eq!(invoices[1]["period"], "2027-01");
    assert_eq!(lines(&invoices[1]), vec![(100_000, 5_000, 105_000)]);
    assert_eq!(invoices[1]["due_on"], "2027-01-10");
    assert_eq!(invoices[1]["number"], "INV-2026-27-000002");

    let trial = isp.trial_balance().await;
    let balance = |code: &str| {
        trial
            .iter()
            .find(|a| a["account"] == code)
            .map_or(0, |a| a["balance_poisha"].as_i64().unwrap())
    };
    assert_eq!(balance("1100"), 50_806 + 105_000, "receivable");
    assert_eq!(balance("2100"), -(2_419 + 5_000), "VAT payable");
    assert_eq!(
        balance(&format!("4100-{}", isp.home)),
        -(48_387 + 100_000),
        "revenue"
    );
    isp.ledger_sound().await;
    assert!(isp.app.audit_intact().await);
}

/// Entered late (on 5 February, starting 20 December), a subscriber is billed at once for the
/// partial December and for January and February, which were already run; a rerun of February
/// adds nothing.
#[tokio::test]
async fn a_late_entry_is_billed_for_every_period_already_run() {
    let mut isp = isp(date(2027, 1, 1)).await;
    isp.subscriber("Karim", isp.home, "2026-12-01").await;
    isp.run("2027-01").await;
    isp.app.state.clock.set_today(date(2027, 2, 5));
    isp.run("2027-02").await;
    let late = isp.subscriber("Late Comer", isp.home, "2026-12-20").await;
    let invoices = isp.invoices(late).await;
    let periods: Vec<&str> = invoices
        .iter()
        .map(|i| i["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2026-12", "2027-01", "2027-02"]);
    // 12 days of December.
    assert_eq!(lines(&invoices[0]), vec![(38_710, 1_936, 40_646)]);
    assert_eq!(lines(&invoices[1]), vec![(100_000, 5_000, 105_000)]);
    let again = isp.run("2027-02").await;
    assert_eq!(again["invoices"], 0, "{again}");
    assert_eq!(isp.invoices(late).await.len(), 3);
    isp.ledger_sound().await;
}

/// An upgrade on the 15th takes effect that day: a credit line for the old plan's 17 remaining
/// days (the change day included) and a charge for the new plan's, on one invoice. A downgrade
/// without a date waits for the next period, and the router keeps the plan until then.
#[tokio::test]
async fn an_upgrade_takes_effect_at_once_and_a_downgrade_next_period() {
    let mut isp = isp(date(2026, 12, 1)).await;
    let rahim = isp.subscriber("Rahim", isp.home, "").await;
    let subscription = isp
        .c
        .get(&format!("/api/v1/subscriptions?subscriber_id={rahim}"))
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    isp.app.state.clock.set_today(date(2026, 12, 15));
    let r = isp
        .c
        .json(
            "POST",
            &format!("/api/v1/subscriptions/{subscription}/plan"),
            &json!({"plan_id": isp.fast}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["effective_on"], "2026-12-15");
    let invoices = isp.invoices(rahim).await;
    assert_eq!(invoices.len(), 2);
    let change = &invoices[1];
    assert_eq!(change["period"], "2026-12");
    assert_eq!(change["kind"], "invoice");
    // Credit: 1,000 × 17 / 31 = 548.39; charge: 2,000 × 17 / 31 = 1,096.77.
    assert_eq!(
        lines(change),
        vec![(-54_839, -2_742, -57_581), (109_677, 5_484, 115_161)]
    );
    assert_eq!(change["total_poisha"], 115_161 - 57_581);
    let subscriber = isp
        .c
        .get(&format!("/api/v1/subscribers/{rahim}"))
        .await
        .json();
    assert_eq!(
        subscriber["plan_id"], isp.fast,
        "the router follows the upgrade at once"
    );

    // Back down to Home: from 1 January, nothing billed now.
    let r = isp
        .c
        .json(
            "POST",
            &format!("/api/v1/subscriptions/{subscription}/plan"),
            &json!({"plan_id": isp.home}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["effective_on"], "2027-01-01");
    assert_eq!(isp.invoices(rahim).await.len(), 2);
    let subscriber = isp
        .c
        .get(&format!("/api/v1/subscribers/{rahim}"))
        .await
        .json();
    assert_eq!(
        subscriber["plan_id"], isp.fast,
        "the downgrade waits for its day"
    );
    isp.app.state.clock.set_today(date(2027, 1, 1));
    controller::billing::service::daily(&isp.app.state, date(2027, 1, 1))
        .await
        .unwrap();
    let subscriber = isp
        .c
        .get(&format!("/api/v1/subscribers/{rahim}"))
        .await
        .json();
    assert_eq!(
        subscriber["plan_id"], isp.home,
        "on its day the router takes the cheaper plan"
    );
    isp.run("2027-01").await;
    let invoices = isp.invoices(rahim).await;
    assert_eq!(lines(&invoices[2]), vec![(100_000, 5_000, 105_000)]);
    isp.trial_balance().await;
    isp.ledger_sound().await;
}

/// Ending on the 20th credits the 11 unused days already billed (a credit note, Mushak-6.7,
/// its own number series) and settles that much of the invoice; the router drops the
/// subscriber once the day has passed. A staff-approved pause credits its days.
#[tokio::test]
async fn a_termination_or_a_pause_credits_the_days_not_used() {
    let mut isp = isp(date(2026, 12, 1)).await;
    let rahim = isp.subscriber("Rahim", isp.home, "").await;
    let karim = isp.subscriber("Karim", isp.home, "").await;
    let sub_of = async |c: &mut Client, s: i64| {
        c.get(&format!("/api/v1/subscriptions?subscriber_id={s}"))
            .await
            .json()["items"][0]["id"]
            .as_i64()
            .unwrap()
    };
    let rahim_sub = sub_of(&mut isp.c, rahim).await;
    let karim_sub = sub_of(&mut isp.c, karim).await;
    isp.app.state.clock.set_today(date(2026, 12, 12));
    let r = isp
        .c
        .json(
            "POST",
            &format!("/api/v1/subscriptions/{rahim_sub}/terminate"),
            &json!({"ends_on": "2026-12-20"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let docs = isp.invoices(rahim).await;
    assert_eq!(docs.len(), 2);
    let credit = &docs[1];
    assert_eq!(credit["kind"], "credit_note");
    assert_eq!(credit["number"], "CN-2026-27-000001");
    // 1,000 × 11 / 31 = 354.84, VAT 17.74; shown positive on the credit note.
    assert_eq!(lines(credit), vec![(35_484, 1_774, 37_258)]);
    assert_eq!(credit["credit_of"], docs[0]["id"]);
    assert_eq!(docs[0]["outstanding_poisha"], 105_000 - 37_258);
    let status = isp
        .c
        .get(&format!("/api/v1/subscribers/{rahim}"))
        .await
        .json()["status"]
        .clone();
    assert_eq!(status, "active", "still served until the 20th");
    controller::billing::service::daily(&isp.app.state, date(2026, 12, 21))
        .await
        .unwrap();
    let status = isp
        .c
        .get(&format!("/api/v1/subscribers/{rahim}"))
        .await
        .json()["status"]
        .clone();
    assert_eq!(status, "terminated", "dropped once the last day has passed");

    let r = isp
        .c
        .json(
            "POST",
            &format!("/api/v1/subscriptions/{karim_sub}/pause"),
            &json!({"from": "2026-12-10", "to": "2026-12-19"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let docs = isp.invoices(karim).await;
    assert_eq!(docs.len(), 2);
    // Ten days: 1,000 × 10 / 31 = 322.58.
    assert_eq!(lines(&docs[1]), vec![(32_258, 1_613, 33_871)]);
    isp.app.state.clock.set_today(date(2027, 1, 1));
    isp.run("2027-01").await;
    assert_eq!(
        isp.invoices(rahim).await.len(),
        2,
        "nothing billed after the end"
    );
    assert_eq!(isp.invoices(karim).await.len(), 3);
    isp.trial_balance().await;
    isp.ledger_sound().await;
}

/// Makes every insert of an invoice for `buyer` fail inside the database: a crash half-way
/// through a run.
async fn fail_invoices_for(app: &TestApp, buyer: &str) {
    let statements: Vec<String> = match app.store.backend() {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER setu_injected BEFORE INSERT ON invoices WHEN NEW.buyer_name = '{buyer}'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )],
        Backend::Postgres => vec![
            format!(
                "CREATE OR REPLACE FUNCTION setu_injected() RETURNS trigger AS $$ BEGIN
                 IF NEW.buyer_name = '{buyer}' THEN RAISE EXCEPTION 'injected failure'; END IF;
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER setu_injected BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION setu_injected()".into(),
        ],
    };
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(app.store.pool())
            .await
            .unwrap();
    }
}

async fn clear_failure(app: &TestApp) {
    let sql = match app.store.backend() {
        Backend::Sqlite => "DROP TRIGGER setu_injected",
        Backend::Postgres => "DROP TRIGGER setu_injected ON invoices",
    };
    sqlx::query(sql).execute(app.store.pool()).await.unwrap();
}

/// Every periodic invoice's number, in issue order: one per subscription, and the numbers run
/// 1, 2, 3… without a gap or a repeat.
async fn assert_once_each(isp: &Isp, period: &str, subscriptions: i64) {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT subscription_id, seq FROM invoices WHERE period = $1 AND kind = 'invoice' ORDER BY seq",
    )
    .bind(period)
    .fetch_all(isp.app.store.pool())
    .await
    .unwrap();
    let mut subs: Vec<i64> = rows.iter().map(|r| r.0).collect();
    subs.sort_unstable();
    subs.dedup();
    assert_eq!(
        subs.len() as i64,
        subscriptions,
        "one invoice per subscription"
    );
    assert_eq!(rows.len() as i64, subscriptions, "and no second one");
    let seqs: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let first = seqs[0];
    assert_eq!(
        seqs,
        (first..first + subscriptions).collect::<Vec<_>>(),
        "gap-free numbers"
    );
}

/// A run that dies half-way (its second batch fails in the database) and is run again, and
/// two replicas running the same period at once, both end with exactly one invoice per
/// subscription, numbered without gaps, and sound books.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_is_exactly_once_when_killed_or_doubled() {
    let mut isp = isp(date(2026, 11, 20)).await;
    for n in 1..=25 {
        isp.subscriber(&format!("S{n:02}"), isp.home, "2026-11-01")
            .await;
    }
    isp.app.state.clock.set_today(date(2026, 12, 1));
    let mut config = (*isp.app.state.config).clone();
    config.billing.batch_size = 10;
    let state = controller::AppState {
        config: std::sync::Arc::new(config),
        ..isp.app.state.clone()
    };
    let period = PeriodKey::parse("2026-12").unwrap();
    fail_invoices_for(&isp.app, "S15").await;
    let failed = controller::billing::run::run(
        &state,
        isp.scope,
        Actor::System("test"),
        period,
        false,
        |_, _| {},
    )
    .await;
    assert!(failed.is_err(), "the second batch fails");
    assert_eq!(
        isp.count("SELECT COUNT(*) FROM invoices WHERE period = '2026-12'")
            .await,
        10,
        "the first batch stands, the second left nothing"
    );
    clear_failure(&isp.app).await;
    let rerun = controller::billing::run::run(
        &state,
        isp.scope,
        Actor::System("test"),
        period,
        false,
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(rerun.invoices, 15, "the rerun issues only what is missing");
    assert_once_each(&isp, "2026-12", 25).await;

    // Two replicas, the same period, at the same time.
    isp.app.state.clock.set_today(date(2027, 1, 1));
    let replica = controller::state((*state.config).clone(), isp.app.store.clone())
        .await
        .unwrap();
    replica.clock.set_today(date(2027, 1, 1));
    let period = PeriodKey::parse("2027-01").unwrap();
    let (a, b) = tokio::join!(
        controller::billing::run::run(
            &state,
            isp.scope,
            Actor::System("replica-a"),
            period,
            false,
            |_, _| {}
        ),
        controller::billing::run::run(
            &replica,
            isp.scope,
            Actor::System("replica-b"),
            period,
            false,
            |_, _| {}
        ),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.invoices + b.invoices,
        25,
        "{} + {}",
        a.invoices,
        b.invoices
    );
    assert_once_each(&isp, "2027-01", 25).await;
    isp.trial_balance().await;
    isp.ledger_sound().await;
}

/// A dry run writes nothing but its record, and says how the period compares with the last
/// one: who is billed now and was not, who was and is not, totals per plan.
#[tokio::test]
async fn a_dry_run_shows_what_would_change_and_writes_nothing() {
    let mut isp = isp(date(2026, 12, 1)).await;
    let a = isp.subscriber("Alpha", isp.home, "").await;
    let b = isp.subscriber("Beta", isp.home, "").await;
    let _ = isp.subscriber("Gamma", isp.fast, "").await;
    let sub_b = isp
        .c
        .get(&format!("/api/v1/subscriptions?subscriber_id={b}"))
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    isp.c
        .json(
            "POST",
            &format!("/api/v1/subscriptions/{sub_b}/terminate"),
            &json!({"ends_on": "2026-12-31"}).to_string(),
        )
        .await;
    isp.app.state.clock.set_today(date(2026, 12, 20));
    let d = isp.subscriber("Delta", isp.fast, "2027-01-01").await;
    let before = isp.count("SELECT COUNT(*) FROM invoices").await;
    isp.app.state.clock.set_today(date(2027, 1, 1));
    let r = isp
        .c
        .json(
            "POST",
            "/api/v1/billing/runs",
            &json!({"period": "2027-01", "dry_run": true}).to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let run = r.json();
    assert_eq!(run["dry_run"], true);
    assert_eq!(run["invoices"], 3, "Alpha, Gamma and Delta: {run}");
    assert_eq!(run["total_poisha"], 105_000 + 210_000 * 2);
    assert_eq!(
        isp.count("SELECT COUNT(*) FROM invoices").await,
        before,
        "nothing written"
    );
    let summary: Value = serde_json::from_str(run["summary"].as_str().unwrap()).unwrap();
    assert_eq!(summary["new_subscribers"], json!([d]), "{summary}");
    assert_eq!(summary["missing_subscribers"], json!([b]), "{summary}");
    assert_eq!(summary["previous_subscribers"], 3);
    assert_eq!(summary["subscribers"], 3);
    let fast = summary["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["plan_id"] == isp.fast)
        .unwrap();
    assert_eq!(fast["subscribers"], 2);
    assert_eq!(fast["previous_subscribers"], 1);
    let shown = isp
        .c
        .get(&format!("/api/v1/billing/runs/{}", run["id"]))
        .await
        .json();
    assert_eq!(shown["invoices"], 3);
    let page = isp.c.get(&format!("/billing/runs/{}", run["id"])).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!("href=/subscribers/{d}")),
        "{}",
        page.body
    );
    let _ = a;
}

/// With a preview window the run makes drafts (no number, nothing posted); staff finalise one
/// (numbered then) — two at once: one wins, the other is told so — and the rest at the end of
/// the window. A void reverses the entry and lets the period be billed again; a paid or
/// credited invoice cannot be voided, and a credit note cannot exceed what is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn documents_go_from_draft_to_finalised_to_voided_by_the_rules() {
    let mut isp = isp(date(2026, 11, 25)).await;
    let r = isp
        .c
        .json(
            "PUT",
            "/api/v1/billing/settings",
            &json!({"preview_days": 3}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let a = isp.subscriber("Alpha", isp.home, "2026-12-01").await;
    let b = isp.subscriber("Beta", isp.home, "2026-12-01").await;
    isp.app.state.clock.set_today(date(2026, 12, 1));
    let run = isp.run("2026-12").await;
    assert_eq!(run["invoices"], 2);
    let draft = isp.invoices(a).await.remove(0);
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["number"], Value::Null);
    assert_eq!(
        isp.count("SELECT COUNT(*) FROM journal_entries").await,
        0,
        "drafts post nothing"
    );
    let pdf = isp
        .c
        .get(&format!("/api/v1/invoices/{}/pdf", draft["id"]))
        .await;
    assert_eq!(pdf.status, 200, "a draft can be previewed");

    let id = draft["id"].as_i64().unwrap();
    let mut other = Client::login_as(&isp.app, "owner1").await;
    let path = format!("/api/v1/invoices/{id}/finalise");
    let (one, two) = tokio::join!(isp.c.json("POST", &path, ""), other.json("POST", &path, ""));
    let mut statuses = [one.status, two.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", one.body, two.body);
    let loser = if one.status == 409 { &one } else { &two };
    assert_eq!(loser.json()["code"], "not_a_draft");
    let finalised = isp.invoices(a).await.remove(0);
    assert_eq!(finalised["number"], "INV-2026-27-000001");

    // The end of the preview window finalises the rest (the job the run queued).
    let job: (i64,) = sqlx::query_as("SELECT id FROM jobs WHERE kind = 'billing.finalise'")
        .fetch_one(isp.app.store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET run_after = 0 WHERE id = $1")
        .bind(job.0)
        .execute(isp.app.store.pool())
        .await
        .unwrap();
    drain_jobs(&isp).await;
    let beta = isp.invoices(b).await.remove(0);
    assert_eq!(beta["status"], "finalised");
    assert_eq!(
        beta["number"], "INV-2026-27-000002",
        "no gap after the lost race"
    );

    // Credit notes: not more than is left; then the invoice is no longer voidable.
    let credit = |amount: &str| json!({"amount": amount, "reason": "outage"}).to_string();
    let r = isp
        .c
        .json(
            "POST",
            &format!("/api/v1/invoices/{id}/credit"),
            &credit("1050.01"),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["fields"][0]["field"], "amount");
    let r = isp
        .c
        .json(
            "POST",
            &format!("/api/v1/invoices/{id}/credit"),
            &credit("100"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["kind"], "credit_note");
    assert_eq!(r.json()["total_poisha"], 10_000);
    let r = isp
        .c
        .json(
            "POST",
            &format!("/api/v1/invoices/{id}/credit"),
            &credit("950.01"),
        )
        .await;
    assert_eq!(r.status, 422, "only 950 is left: {}", r.body);
    let r = isp
        .c
        .json(
            "POST",
            &format!("/api/v1/invoices/{id}/void"),
            &json!({"reason": "wrong"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.json()["code"], "invoice_paid");

    // Beta's is untouched: voided, its entry reversed, and the period bills Beta again.
    let beta_id = beta["id"].as_i64().unwrap();
    let r = isp
        .c
        .json(
            "POST",
            &format!("/api/v1/invoices/{beta_id}/void"),
            &json!({"reason": "wrong plan"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "voided");
    assert_eq!(
        r.json()["number"],
        "INV-2026-27-000002",
        "a voided invoice keeps its number"
    );
    let r = isp
        .c
        .json(
            "POST",
            &format!("/api/v1/invoices/{beta_id}/void"),
            &json!({"reason": "again"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["code"], "not_finalised");
    let rerun = isp.run("2026-12").await;
    assert_eq!(
        rerun["invoices"], 1,
        "the voided invoice's period is billed again: {rerun}"
    );
    isp.trial_balance().await;
    isp.ledger_sound().await;
    assert!(isp.app.audit_intact().await);
}

/// A credit on an invoice already settled becomes an advance, and the next invoice consumes it
/// at once (an allocation and its entry); the statement's running balance shows every step.
#[tokio::test]
async fn an_advance_is_consumed_by_the_next_invoice() {
    let mut isp = isp(date(2026, 12, 1)).await;
    let rahim = isp.subscriber("Rahim", isp.home, "").await;
    let invoice = isp.invoices(rahim).await.remove(0);
    let id = invoice["id"].as_i64().unwrap();
    // Settle it in full with a credit note; then end the subscription on the 20th: the 11 days
    // credited have nothing left to settle, so they become an advance.
    let r = isp
        .c
        .json(
            "POST",
            &format!("/api/v1/invoices/{id}/credit"),
            &json!({"amount_poisha": 105_000, "reason": "goodwill"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let sub = isp
        .c
        .get(&format!("/api/v1/subscriptions?subscriber_id={rahim}"))
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    isp.c
        .json(
            "POST",
            &format!("/api/v1/subscriptions/{sub}/terminate"),
            &json!({"ends_on": "2026-12-20"}).to_string(),
        )
        .await;
    let statement = isp
        .c
        .get(&format!("/api/v1/subscribers/{rahim}/statement"))
        .await
        .json();
    assert_eq!(statement["receivable_poisha"], 0);
    assert_eq!(statement["advance_poisha"], 37_258);
    assert_eq!(statement["net_poisha"], -37_258, "in credit");
    // A connection fee of 500: the advance pays most of it.
    let r = isp
        .c
        .json(
            "POST",
            "/api/v1/invoices",
            &json!({"subscriber_id": rahim, "category": "connection_fee", "unit_price": "500"})
                .to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["total_poisha"], 52_500);
    assert_eq!(r.json()["outstanding_poisha"], 52_500 - 37_258);
    let statement = isp
        .c
        .get(&format!("/api/v1/subscribers/{rahim}/statement"))
        .await
        .json();
    assert_eq!(statement["advance_poisha"], 0);
    assert_eq!(statement["net_poisha"], 52_500 - 37_258);
    let balances: Vec<i64> = statement["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["balance_poisha"].as_i64().unwrap())
        .collect();
    assert_eq!(
        balances,
        vec![105_000, 0, -37_258, 52_500 - 37_258, 52_500 - 37_258]
    );
    isp.trial_balance().await;
    isp.ledger_sound().await;
}

/// `verify-ledger` finds a line changed by hand, an entry gone, and a document without its
/// entry.
#[tokio::test]
async fn verify_ledger_catches_books_that_do_not_add_up() {
    let mut isp = isp(date(2026, 12, 1)).await;
    isp.subscriber("Rahim", isp.home, "").await;
    isp.subscriber("Karim", isp.home, "").await;
    isp.ledger_sound().await;
    let mut db = isp.app.store.conn().await.unwrap();
    sqlx::query("UPDATE journal_lines SET amount_poisha = amount_poisha + 1 WHERE id = (SELECT MIN(id) FROM journal_lines)")
        .execute(&mut *db)
        .await
        .unwrap();
    let report = controller::ledger::store::verify(&mut db).await.unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("summing to 1 poisha")),
        "{:#?}",
        report.problems
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("trial balance sums to 1")),
        "{:#?}",
        report.problems
    );
    let last: i64 = sqlx::query_scalar("SELECT MAX(entry_id) FROM journal_lines")
        .fetch_one(&mut *db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM journal_lines WHERE entry_id = $1")
        .bind(last)
        .execute(&mut *db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM journal_entries WHERE id = $1")
        .bind(last)
        .execute(&mut *db)
        .await
        .unwrap();
    let report = controller::ledger::store::verify(&mut db).await.unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("lacks its ledger entry")),
        "{:#?}",
        report.problems
    );
    let r = isp.c.get("/api/v1/ledger/trial-balance").await;
    assert_eq!(r.json()["balanced"], false);
}

/// Bad input gets a clear error with a stable code and changes nothing.
#[tokio::test]
async fn bad_billing_input_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.state.clock.set_today(date(2026, 12, 1));
    company(&app, "Meghna", &[("owner2", "owner")]).await;
    let mut c = Client::login_as(&app, "owner2").await;
    // No billing settings yet: a run is refused.
    let r = c
        .json(
            "POST",
            "/api/v1/billing/runs",
            &json!({"period": "2026-12"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.json()["code"], "billing_not_configured");
    assert_eq!(
        c.get("/api/v1/billing/settings").await.json()["configured"],
        false
    );
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM billing_runs")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(runs, 0);
    drop(c);

    let mut isp = isp(date(2026, 12, 1)).await;
    let rahim = isp.subscriber("Rahim", isp.home, "").await;
    let audit_before = isp.count("SELECT COUNT(*) FROM audit_log").await;
    let docs_before = isp.count("SELECT COUNT(*) FROM invoices").await;
    let cases: Vec<(&str, &str, Value, u16, &str)> = vec![
        (
            "PUT",
            "/api/v1/billing/settings",
            json!({"billing_day": 31}),
            422,
            "billing_day",
        ),
        (
            "PUT",
            "/api/v1/billing/settings",
            json!({"cycle": "weekly"}),
            422,
            "cycle",
        ),
        (
            "POST",
            "/api/v1/billing/runs",
            json!({"period": "2026-13"}),
            422,
            "period",
        ),
        (
            "POST",
            "/api/v1/billing/runs",
            json!({"period": "26-12"}),
            422,
            "period",
        ),
        (
            "POST",
            "/api/v1/billing/tax-rates",
            json!({"kind": "vat", "rate": "150", "valid_from": "2027-01-01"}),
            422,
            "rate",
        ),
        (
            "POST",
            "/api/v1/billing/tax-rates",
            json!({"kind": "vat", "rate": "7.5", "valid_from": "2019-07-01"}),
            422,
            "valid_from",
        ),
        (
            "POST",
            "/api/v1/plans",
            json!({"name": "Neg", "download": "1M", "upload": "1M", "price_poisha": -100}),
            422,
            "price_poisha",
        ),
        (
            "POST",
            "/api/v1/plans",
            json!({"name": "Absurd", "download": "1M", "upload": "1M", "price_poisha": 9_000_000_000_000_000_i64}),
            422,
            "price_poisha",
        ),
        (
            "POST",
            "/api/v1/subscriptions",
            json!({"subscriber_id": rahim, "plan_id": isp.home, "starts_on": "2026-12-05"}),
            422,
            "starts_on",
        ),
        (
            "POST",
            "/api/v1/subscriptions",
            json!({"subscriber_id": rahim, "plan_id": isp.fast, "starts_on": "2026-12-05", "discount_poisha": 100, "discount_until": "2026-12-01"}),
            422,
            "discount_until",
        ),
        (
            "POST",
            "/api/v1/invoices",
            json!({"subscriber_id": rahim, "category": "lottery", "unit_price": "500"}),
            422,
            "category",
        ),
    ];
    for (method, path, body, status, field) in cases {
        let r = isp.c.json(method, path, &body.to_string()).await;
        assert_eq!(r.status, status, "{method} {path} {body}: {}", r.body);
        assert_eq!(r.json()["code"], "validation_failed", "{path} {body}");
        assert!(
            r.json()["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == field),
            "{path} {body}: {}",
            r.body
        );
    }
    let sub = isp
        .c
        .get(&format!("/api/v1/subscriptions?subscriber_id={rahim}"))
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    for (path, body, field) in [
        ("terminate", json!({"ends_on": "2026-11-30"}), "ends_on"),
        (
            "pause",
            json!({"from": "2026-12-10", "to": "2026-12-05"}),
            "to",
        ),
        ("plan", json!({"plan_id": isp.home}), "plan_id"),
    ] {
        let r = isp
            .c
            .json(
                "POST",
                &format!("/api/v1/subscriptions/{sub}/{path}"),
                &body.to_string(),
            )
            .await;
        assert_eq!(r.status, 422, "{path}: {}", r.body);
        assert_eq!(r.json()["fields"][0]["field"], field, "{path}: {}", r.body);
    }
    assert_eq!(
        isp.count("SELECT COUNT(*) FROM audit_log").await,
        audit_before,
        "nothing audited"
    );
    assert_eq!(
        isp.count("SELECT COUNT(*) FROM invoices").await,
        docs_before,
        "nothing billed"
    );
    assert_eq!(
        isp.count("SELECT COUNT(*) FROM subscription_events").await,
        0
    );
    assert_eq!(
        isp.count("SELECT COUNT(*) FROM tax_rates").await,
        2,
        "the default VAT and SD rows"
    );
}

/// A new VAT rate from 1 January applies to January's lines and leaves December's at 5 %;
/// rounding to the taka posts the difference to its own account; a branch gets its own
/// number series when asked.
#[tokio::test]
async fn rates_are_effective_dated_and_totals_round_by_the_settings() {
    let mut isp = isp(date(2026, 12, 1)).await;
    let r = isp
        .c
        .json(
            "POST",
            "/api/v1/billing/tax-rates",
            &json!({"kind": "vat", "rate": "7.5", "valid_from": "2027-01-01"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rates = r.json()["items"].as_array().unwrap().clone();
    let vat: Vec<(i64, String)> = rates
        .iter()
        .filter(|r| r["kind"] == "vat")
        .map(|r| {
            (
                r["rate_bp"].as_i64().unwrap(),
                r["valid_to"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        vat,
        vec![(500, "2026-12-31".to_owned()), (750, "-".to_owned())]
    );
    let r = isp
        .c
        .json(
            "PUT",
            "/api/v1/billing/settings",
            &json!({"rounding": "taka"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200);
    isp.app.state.clock.set_today(date(2026, 12, 17));
    let rahim = isp.subscriber("Rahim", isp.home, "2026-12-17").await;
    let december = isp.invoices(rahim).await.remove(0);
    assert_eq!(december["lines"][0]["vat_rate_bp"], 500);
    // 483.87 + 24.19 = 508.06 → 508.00; the 0.06 is rounding.
    assert_eq!(december["total_poisha"], 50_800);
    assert_eq!(december["rounding_poisha"], -6);
    isp.app.state.clock.set_today(date(2027, 1, 1));
    isp.run("2027-01").await;
    let january = isp.invoices(rahim).await.remove(1);
    assert_eq!(january["lines"][0]["vat_rate_bp"], 750);
    assert_eq!(january["lines"][0]["vat_poisha"], 7_500);
    let trial = isp.trial_balance().await;
    let rounding = trial.iter().find(|a| a["account"] == "4900").unwrap();
    assert_eq!(
        rounding["balance_poisha"], 6,
        "the taka rounding gave away 6 poisha"
    );
    let vat_report = isp.c.get("/api/v1/ledger/vat").await.json();
    let months: Vec<(String, i64)> = vat_report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_owned(),
                m["vat_poisha"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        months,
        vec![("2026-12".to_owned(), 2_419), ("2027-01".to_owned(), 7_500)]
    );
    isp.ledger_sound().await;
}

/// The PDF of an invoice: a PDF, in English or Bangla, the same bytes every time.
#[tokio::test]
async fn an_invoice_prints_as_a_pdf_in_english_and_bangla() {
    let mut isp = isp(date(2026, 12, 1)).await;
    let rahim = isp.subscriber("রহিম উদ্দিন", isp.home, "").await;
    let id = isp.invoices(rahim).await[0]["id"].as_i64().unwrap();
    let en = isp.c.get(&format!("/api/v1/invoices/{id}/pdf")).await;
    assert_eq!(en.status, 200);
    assert_eq!(en.header("content-type"), Some("application/pdf"));
    assert!(en.body.starts_with("%PDF-"));
    let again = isp.c.get(&format!("/api/v1/invoices/{id}/pdf")).await;
    assert_eq!(en.body, again.body, "the same bytes for the same document");
    let bn = isp
        .c
        .get(&format!("/api/v1/invoices/{id}/pdf?lang=bn"))
        .await;
    assert_eq!(bn.status, 200);
    assert_ne!(en.body, bn.body);
    // The payment page the QR code opens, without signing in.
    let token: String = sqlx::query_scalar("SELECT public_token FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(isp.app.store.pool())
        .await
        .unwrap();
    let mut anon = Client::new(&isp.app);
    let pay = anon.get(&format!("/pay/{token}")).await;
    assert_eq!(pay.status, 200);
    assert!(pay.body.contains("INV-2026-27-000001"), "{}", pay.body);
    assert_eq!(anon.get("/pay/not-a-token").await.status, 404);
}

/// A subscription that starts in the future is billed on its day by the daily job, and the
/// daily job enqueues the run on the billing date of each company.
#[tokio::test]
async fn the_daily_job_bills_future_starts_and_enqueues_runs_on_the_billing_day() {
    let mut isp = isp(date(2026, 12, 10)).await;
    let later = isp.subscriber("Later", isp.home, "2026-12-20").await;
    assert!(
        isp.invoices(later).await.is_empty(),
        "nothing before the start"
    );
    controller::billing::service::daily(&isp.app.state, date(2026, 12, 15))
        .await
        .unwrap();
    assert!(isp.invoices(later).await.is_empty());
    isp.app.state.clock.set_today(date(2026, 12, 20));
    controller::billing::service::daily(&isp.app.state, date(2026, 12, 20))
        .await
        .unwrap();
    let docs = isp.invoices(later).await;
    assert_eq!(docs.len(), 1);
    assert_eq!(lines(&docs[0]), vec![(38_710, 1_936, 40_646)]);
    assert_eq!(
        isp.count("SELECT COUNT(*) FROM jobs WHERE kind = 'billing.run'")
            .await,
        0
    );
    isp.app.state.clock.set_today(date(2027, 1, 1));
    controller::billing::service::daily(&isp.app.state, date(2027, 1, 1))
        .await
        .unwrap();
    controller::billing::service::daily(&isp.app.state, date(2027, 1, 1))
        .await
        .unwrap();
    let key: String = sqlx::query_scalar("SELECT dedupe_key FROM jobs WHERE kind = 'billing.run'")
        .fetch_one(isp.app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        key,
        format!("{}:2027-01", isp.scope.company()),
        "once per company and period"
    );
    drain_jobs(&isp).await;
    assert_eq!(
        isp.invoices(later).await.len(),
        2,
        "the job ran January's billing"
    );
}

/// Runs every due job, then waits until none is queued or running (the app's own workers may
/// have taken one first).
async fn drain_jobs(isp: &Isp) {
    while controller::jobs::worker::run_one(&isp.app.state, "test/0")
        .await
        .unwrap()
    {}
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while isp
        .count("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running') AND run_after <= 4102444800000")
        .await
        > 0
    {
        assert!(std::time::Instant::now() < deadline, "jobs never finished");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// `setu-controller billing run` killed with SIGKILL part-way (a power cut, an OOM kill) and run
/// again ends with exactly one invoice per subscription, gap-free numbers and sound books, as
/// `setu-controller verify-ledger` confirms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_run_killed_mid_way_and_run_again_bills_everyone_once() {
    use std::io::Read;
    let app = spawn_app().await;
    let padma = company(&app, "Padma", &[("owner1", "owner")]).await;
    let mut work = app.work(padma.scope).await;
    let router = crate::helpers::pop_with_router(&mut work, "POP", None, "r1").await;
    let plan = controller::plans::service::create(
        &mut work,
        &controller::plans::service::PlanInput {
            name: "Home".into(),
            download: "10M".into(),
            upload: "5M".into(),
            price_poisha: Some(controller::kernel::money::Poisha(100_000)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    const SUBSCRIBERS: i64 = 3000;
    for n in 0..SUBSCRIBERS {
        controller::subscribers::service::create(
            &mut work,
            &controller::subscribers::service::SubscriberInput {
                name: format!("S{n}"),
                phone: "01712345678".into(),
                router_id: Some(router.id),
                plan_id: Some(plan.id),
                pppoe_username: format!("s{n}"),
                pppoe_password: "secret-1".into(),
                starts_on: "2026-01-01".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    controller::billing::service::save_settings(&mut work, &Default::default())
        .await
        .unwrap();
    work.commit().await.unwrap();

    let cli = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_setu-controller"));
        command
            .args(["--database-url", &app.database_url])
            .args(args)
            .env("SETU_MQTT__EMBEDDED", "false")
            .env("SETU_BILLING__BATCH_SIZE", "50")
            .env("SETU_LOG__FILTER", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command
    };
    let mut first = cli(&["billing", "run", "--period", "2026-06"])
        .spawn()
        .unwrap();
    // Kill it once it has committed a few batches.
    let mut stderr = first.stderr.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 256];
    loop {
        let n = stderr.read(&mut buf).unwrap();
        assert!(n > 0, "the run ended before it could be killed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        if seen.contains("] 500/") || seen.contains("] 550/") || seen.contains("] 600/") {
            break;
        }
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let written: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invoices WHERE period = '2026-06'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert!(
        written > 0 && written < SUBSCRIBERS,
        "killed part-way: {written}"
    );
    assert_eq!(written % 50, 0, "whole batches only: {written}");

    let second = cli(&["billing", "run", "--period", "2026-06"])
        .output()
        .unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(
        out.contains(&format!("{} invoices", SUBSCRIBERS - written)),
        "{out}"
    );
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT subscription_id, seq FROM invoices WHERE period = '2026-06' ORDER BY seq",
    )
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    let mut subs: Vec<i64> = rows.iter().map(|r| r.0).collect();
    subs.sort_unstable();
    subs.dedup();
    assert_eq!(subs.len() as i64, SUBSCRIBERS);
    assert_eq!(rows.len() as i64, SUBSCRIBERS);
    let seqs: Vec<i64> = rows.iter().map(|r| r.1).collect();
    assert_eq!(seqs, (1..=SUBSCRIBERS).collect::<Vec<_>>());
    let verify = cli(&["verify-ledger"]).output().unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("ledger sound"));
    // And one line changed by hand is a failure with the reason.
    sqlx::query("UPDATE journal_lines SET amount_poisha = amount_poisha - 7 WHERE id = (SELECT MAX(id) FROM journal_lines)")
        .execute(app.store.pool())
        .await
        .unwrap();
    let verify = cli(&["verify-ledger"]).output().unwrap();
    assert!(!verify.status.success());
    assert!(
        String::from_utf8_lossy(&verify.stderr).contains("summing to -7 poisha"),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[tokio::test]
async fn the_plans_page_shows_the_price_with_vat_and_flags_plans_above_the_btrc_cap() {
    let mut isp = isp(date(2026, 3, 1)).await;
    let r = isp
        .c
        .json(
            "POST",
            "/api/v1/plans",
            &json!({"name": "Lite 5M", "download": "5M", "upload": "2M", "price_poisha": 39_900})
                .to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let lite = r.json()["id"].as_i64().unwrap();
    let row = |page: &str, plan: i64| -> String {
        let start = page
            .find(&format!("<tr data-plan={plan}>"))
            .unwrap_or_else(|| panic!("plan {plan} on {page}"));
        page[start..start + page[start..].find("</tr>").unwrap()].to_owned()
    };

    let page = isp.c.get("/plans").await.body;
    assert!(page.contains("With VAT (5%)"), "{page}");
    // 1,000 taka for 10 Mbps is above the 700 taka cap in force since July 2025.
    let home = row(&page, isp.home);
    assert!(
        home.contains("৳1,050.00") && home.contains("over-cap") && home.contains("৳700.00"),
        "{home}"
    );
    // 20 Mbps at 2,000 against the 1,100 cap; 5 Mbps at 399 is under its 400.
    assert!(row(&page, isp.fast).contains("over-cap"));
    let lite_row = row(&page, lite);
    assert!(
        lite_row.contains("৳418.95") && !lite_row.contains("over-cap"),
        "{lite_row}"
    );

    // A VAT change in force from today shows at once; before July 2025 the older, higher caps held.
    let r = isp
        .c
        .json(
            "POST",
            "/api/v1/billing/tax-rates",
            &json!({"kind": "vat", "rate": "7.5", "valid_from": "2026-03-01"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let page = isp.c.get("/plans").await.body;
    assert!(
        page.contains("With VAT (7.5%)") && row(&page, lite).contains("৳428.93"),
        "{page}"
    );
    isp.app.state.clock.set_today(date(2025, 6, 30));
    let page = isp.c.get("/plans").await.body;
    let home = row(&page, isp.home);
    assert!(
        home.contains("over-cap") && home.contains("৳800.00"),
        "{home}"
    );
    assert!(!row(&page, lite).contains("over-cap"));
}

/// Migration 0009: the subscribers that existed before billing each become a subscriber with
/// one primary subscription, on their plan, from the Dhaka day they were added (a termination
/// ends it on the Dhaka day it was recorded), and the next run bills them.
#[tokio::test]
async fn subscribers_from_before_billing_get_one_subscription_each_and_are_billed() {
    let url = crate::helpers::fresh_database_url().await;
    let store = controller::kernel::db::Store::connect(&url).await.unwrap();
    assert_eq!(store.migrate_through(8).await.unwrap(), 8);
    let ms = |t: &str| t.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    let mut db = store.conn().await.unwrap();
    for sql in [
        "INSERT INTO companies (name, created_at) VALUES ('Old ISP', 0)",
        "INSERT INTO plans (company_id, name, download, upload, price_poisha, created_at)
             VALUES (1, 'Home', '10M', '5M', 100000, 0)",
        "INSERT INTO pops (company_id, name, created_at) VALUES (1, 'POP', 0)",
        "INSERT INTO routers (company_id, pop_id, name, agent_id, created_at) VALUES (1, 1, 'r1', 'agent-old', 0)",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *db)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // 19:00 UTC is 01:00 the next day in Dhaka.
    let people = [
        (
            "Rahim",
            "active",
            "2026-01-31T19:00:00Z",
            "2026-01-31T19:00:00Z",
        ),
        (
            "Karim",
            "suspended",
            "2026-02-10T05:00:00Z",
            "2026-02-20T05:00:00Z",
        ),
        (
            "Jalal",
            "terminated",
            "2026-01-05T05:00:00Z",
            "2026-02-14T20:00:00Z",
        ),
    ];
    for (name, status, created, updated) in people {
        sqlx::query(
            "INSERT INTO subscribers (company_id, router_id, plan_id, name, phone, pppoe_username,
                 pppoe_password, status, created_at, updated_at)
             VALUES (1, 1, 1, $1, '01712345678', $1, 'x', $2, $3, $4)",
        )
        .bind(name)
        .bind(status)
        .bind(ms(created))
        .bind(ms(updated))
        .execute(&mut *db)
        .await
        .unwrap();
    }
    drop(db);
    store.close().await;

    let mut config = crate::helpers::test_config();
    config.database.url = url;
    let app = crate::helpers::spawn_on_database(config).await;
    app.state.clock.set_today(date(2026, 3, 1));
    let scope = Scope::system(controller::kernel::ids::CompanyId(1));
    let mut work = app.work(scope).await;
    let mut found = Vec::new();
    for id in 1..=3 {
        let subs = controller::subscriptions::store::of_subscriber(
            &mut work,
            controller::kernel::ids::SubscriberId(id),
        )
        .await
        .unwrap();
        assert_eq!(subs.len(), 1, "subscriber {id}: {subs:?}");
        let s = &subs[0];
        assert!(s.is_primary && s.plan_id.0 == 1 && s.price_override_poisha.is_none());
        found.push((s.starts_on, s.ends_on));
    }
    assert_eq!(
        found,
        [
            (date(2026, 2, 1), None),
            (date(2026, 2, 10), None),
            (date(2026, 1, 5), Some(date(2026, 2, 15))),
        ]
    );
    controller::billing::service::save_settings(&mut work, &Default::default())
        .await
        .unwrap();
    work.commit().await.unwrap();
    let run = controller::billing::service::run(
        app.work(scope).await,
        &controller::billing::service::RunInput {
            period: "2026-03".into(),
            dry_run: false,
        },
    )
    .await
    .unwrap();
    // Rahim and Karim (suspension credits nothing) at 1,050 taka; Jalal's subscription ended.
    assert_eq!((run.invoices, run.total_poisha), (2, 210_000), "{run:?}");
}

/// The demo (`setu-controller demo`, `setu-demo`) shows a billed month: last month's invoices
/// from when the subscribers were added, this month's run, a credit note and a one-time
/// charge, with PDFs and books that balance.
#[tokio::test]
async fn the_demo_shows_a_billed_month() {
    let app = spawn_app().await;
    app.state.clock.set_today(date(2026, 12, 15));
    let logins = controller::bootstrap::seed_demo(&app.state).await.unwrap();
    let owner = logins.iter().find(|l| l.role == "owner").unwrap();
    let mut c = Client::new(&app);
    assert_eq!(c.login(&owner.username, &owner.password).await.status, 303);

    let mut documents = Vec::new();
    let mut path = "/api/v1/invoices?limit=500".to_owned();
    loop {
        let page = c.get(&path).await.json();
        documents.extend(page["items"].as_array().unwrap().clone());
        match page["next_before"].as_i64() {
            Some(before) => path = format!("/api/v1/invoices?limit=500&before={before}"),
            None => break,
        }
    }
    let count = |kind: &str, period: Value| {
        documents
            .iter()
            .filter(|d| d["kind"] == kind && d["period"] == period && d["status"] == "finalised")
            .count()
    };
    let n = controller::bootstrap::DEMO_SUBSCRIBERS as usize;
    assert_eq!(count("invoice", json!("2026-11")), n);
    assert_eq!(count("invoice", json!("2026-12")), n);
    assert_eq!(count("invoice", Value::Null), 1, "the connection fee");
    let credit = documents
        .iter()
        .find(|d| d["kind"] == "credit_note")
        .expect("a credit note");
    assert_eq!(credit["total_poisha"], 10_500);
    assert!(credit["number"]
        .as_str()
        .unwrap()
        .starts_with("CN-2026-27-"));

    let pdf = c
        .get(&format!("/api/v1/invoices/{}/pdf", credit["id"]))
        .await;
    assert_eq!(pdf.status, 200);
    assert!(pdf.body.starts_with("%PDF"));
    let r = c.get("/api/v1/ledger/trial-balance").await.json();
    assert_eq!(r["balanced"], true, "{r}");
    let sum: i64 = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["balance_poisha"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 0);
    let mut db = app.store.conn().await.unwrap();
    let report = controller::ledger::store::verify(&mut db).await.unwrap();
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    // Seeding again changes nothing.
    assert!(controller::bootstrap::seed_demo(&app.state)
        .await
        .unwrap()
        .is_empty());
}
