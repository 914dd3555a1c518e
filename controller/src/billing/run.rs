//! The billing run: every subscription of a company for one period, in batches of
//! `billing.batch_size`, each batch one transaction (its subscriptions locked on PostgreSQL,
//! the write lock held on SQLite). A run killed between batches, or two replicas running the
//! same period at once, end with exactly one document per subscription and period: a batch
//! diffs against every line already billed and writes with unique dedupe keys.
//!
//! A dry run computes the same and writes only the run's record: what would be issued, and
//! how the period compares with the previous one (count, total, per plan, who is billed now
//! but was not, and the reverse).

use super::compose::{self, Context};
use super::store::{self, Run};
use crate::kernel::db::now_ms;
use crate::kernel::ids::{CompanyId, PlanId, SubscriberId, SubscriptionId};
use crate::kernel::scope::{Actor, Scope};
use crate::kernel::work::{Change, Held, Origin, Work};
use crate::kernel::Result;
use crate::AppState;
use billing_core::period::{self, Cycle, PeriodKey};
use jiff::civil::Date;
use jiff::ToSpan;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// One plan's share of a period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PlanFigures {
    pub plan_id: i64,
    pub name: String,
    pub subscribers: i64,
    pub total_poisha: i64,
    pub previous_subscribers: i64,
    pub previous_total_poisha: i64,
}

/// What a run reports beside its counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub period: String,
    pub previous_period: String,
    /// Documents this run issued (or, dry, would issue).
    pub issued: i64,
    pub issued_total_poisha: i64,
    /// The period as it stands after the run (documents already there and new ones).
    pub subscribers: i64,
    pub total_poisha: i64,
    pub previous_subscribers: i64,
    pub previous_total_poisha: i64,
    pub plans: Vec<PlanFigures>,
    /// Billed this period but not the previous one (at most 50 ids) and how many.
    pub new_subscribers: Vec<SubscriberId>,
    pub new_count: i64,
    /// Billed the previous period but not this one.
    pub missing_subscribers: Vec<SubscriberId>,
    pub missing_count: i64,
    pub errors: i64,
    pub duration_ms: i64,
}

/// The days any subscription's period `key` can touch: exactly the period for a fixed cycle;
/// for anniversary cycles, from the 1st of the month to the 27th of the next.
fn bounds(ctx: &Context, key: PeriodKey) -> (Date, Date) {
    let first = period::period(Cycle::Fixed { day: 1 }, key);
    match ctx.settings.cycle_for(first.start) {
        c @ Cycle::Fixed { .. } => {
            let p = period::period(c, key);
            (p.start, p.end)
        }
        Cycle::Anniversary { .. } => (first.start, first.end.saturating_add(27.days())),
    }
}

/// Runs billing for `period` in `scope`'s company as `actor`; `progress(done, total)` is told
/// after each batch. Returns the run as recorded.
pub async fn run(
    state: &AppState,
    scope: Scope,
    actor: Actor,
    period: PeriodKey,
    dry_run: bool,
    mut progress: impl FnMut(i64, i64) + Send,
) -> Result<Run> {
    let started = std::time::Instant::now();
    let company = scope.company();
    let begin = || {
        Work::begin(
            state,
            scope,
            actor.clone(),
            Held::Everything,
            Origin::default(),
        )
    };
    let mut work = begin().await?;
    let mut ctx = Context::load(&mut work).await?;
    let record = store::start_run(
        work.db(),
        company,
        &period.to_string(),
        dry_run,
        &actor.label(),
        now_ms(),
    )
    .await?;
    let (from, until) = bounds(&ctx, period);
    let (total,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM subscriptions WHERE company_id = $1 AND starts_on <= $2
           AND (ends_on IS NULL OR ends_on >= $3)",
    )
    .bind(company)
    .bind(until.to_string())
    .bind(from.to_string())
    .fetch_one(work.db())
    .await?;
    work.commit().await?;

    let batch = state.config.billing.batch_size.max(1);
    let finalise = ctx.settings.preview_days == 0 && !dry_run;
    let backend = state.store.backend();
    let (mut after, mut done, mut errors) = (0i64, 0i64, Vec::<String>::new());
    let mut issued = compose::Flushed::default();
    // A dry run's documents, which the database will not show the summary.
    let mut proposed_docs: Vec<PeriodDoc> = Vec::new();
    loop {
        let mut work = begin().await?;
        ctx.now = now_ms();
        let subs = crate::subscriptions::store::batch(
            work.db(),
            backend,
            company,
            after,
            batch,
            from,
            until,
        )
        .await?;
        let (Some(first), Some(last)) = (subs.first(), subs.last()) else {
            break;
        };
        let (lo, hi) = (first.id, last.id);
        after = hi.0;
        let ids: Vec<SubscriptionId> = subs.iter().map(|s| s.id).collect();
        let events = crate::subscriptions::store::events_of(work.db(), company, &ids).await?;
        let mut billed = store::billed(work.db(), company, &period.to_string(), lo, hi).await?;
        let mut subscriber_ids: Vec<SubscriberId> = subs.iter().map(|s| s.subscriber_id).collect();
        subscriber_ids.sort_unstable();
        subscriber_ids.dedup();
        let buyers = compose::buyers(work.db(), company, &subscriber_ids).await?;
        let mut docs = Vec::new();
        for sub in &subs {
            if !compose::overlaps(&ctx, sub, period) {
                continue;
            }
            let already = billed.remove(&sub.id).unwrap_or_default();
            let Some(buyer) = buyers.get(&sub.subscriber_id) else {
                continue;
            };
            let p = ctx.period_of(sub, period);
            let reason = if p.contains(sub.starts_on) {
                "start"
            } else {
                "periodic"
            };
            let result =
                compose::propose(&ctx, sub, &events, period, &already).and_then(|proposed| {
                    compose::document(
                        &ctx,
                        sub,
                        buyer,
                        period,
                        reason,
                        &proposed,
                        Some(record.id),
                        None,
                    )
                });
            match result {
                Ok(Some(doc)) => {
                    if dry_run {
                        proposed_docs.push((
                            Some(sub.plan_id.0),
                            sub.subscriber_id,
                            doc.kind.to_owned(),
                            doc.totals.total_poisha,
                        ));
                    }
                    docs.push(doc);
                }
                Ok(None) => {}
                Err(e) if errors.len() < 100 => {
                    errors.push(format!("subscription {}: {e}", sub.id))
                }
                Err(_) => errors.push(String::new()),
            }
        }
        if dry_run {
            for d in &docs {
                match d.kind {
                    "credit_note" => {
                        issued.credit_notes += 1;
                        issued.total_poisha -= d.totals.total_poisha;
                    }
                    _ => {
                        issued.invoices += 1;
                        issued.total_poisha += d.totals.total_poisha;
                    }
                }
            }
            drop(work);
        } else {
            let (flushed, _) = compose::flush(work.db(), &mut ctx, docs, finalise).await?;
            work.commit().await?;
            issued.invoices += flushed.invoices;
            issued.credit_notes += flushed.credit_notes;
            issued.total_poisha += flushed.total_poisha;
            issued.existing += flushed.existing;
        }
        done += subs.len() as i64;
        progress(done, total);
    }

    let mut work = begin().await?;
    let summary = summarise(
        &mut work,
        &ctx,
        period,
        &issued,
        proposed_docs,
        errors.len() as i64,
        started,
    )
    .await?;
    let error_text: Vec<&str> = errors
        .iter()
        .map(String::as_str)
        .filter(|e| !e.is_empty())
        .collect();
    let finished = store::finish_run(
        work.db(),
        record.id,
        "done",
        (
            done,
            issued.invoices,
            issued.credit_notes,
            issued.total_poisha,
        ),
        &error_text.join("\n"),
        &serde_json::to_string(&summary).unwrap_or_default(),
        now_ms(),
    )
    .await?;
    work.audit(Change::new(
        if dry_run {
            "billing.dry_run"
        } else {
            "billing.run"
        },
        "billing_run",
        finished.id,
        serde_json::Value::Null,
        serde_json::json!({
            "period": finished.period,
            "subscriptions": finished.subscriptions,
            "invoices": finished.invoices,
            "credit_notes": finished.credit_notes,
            "total_poisha": finished.total_poisha,
            "errors": summary.errors,
        }),
    ))
    .await?;
    if !dry_run && ctx.settings.preview_days > 0 && issued.invoices + issued.credit_notes > 0 {
        let at = now_ms() + ctx.settings.preview_days * 86_400_000;
        crate::jobs::service::enqueue(
            &mut work,
            &crate::jobs::NewJob {
                kind: super::FINALISE_JOB,
                company: Some(company),
                dedupe_key: format!("run-{}", finished.id),
                payload: serde_json::json!({ "run_id": finished.id }),
                run_after: at,
            },
        )
        .await?;
    }
    work.commit().await?;
    Ok(finished)
}

/// A document of a period as the summary counts it: the subscription's plan, the subscriber,
/// its kind and total.
type PeriodDoc = (Option<i64>, SubscriberId, String, i64);

async fn summarise(
    work: &mut Work,
    ctx: &Context,
    period: PeriodKey,
    issued: &compose::Flushed,
    proposed: Vec<PeriodDoc>,
    errors: i64,
    started: std::time::Instant,
) -> Result<Summary> {
    let company: CompanyId = ctx.company;
    let previous = period.prev().map(|p| p.to_string()).unwrap_or_default();
    let mut now_docs = store::period_documents(work.db(), company, &period.to_string()).await?;
    now_docs.extend(proposed);
    let before_docs = store::period_documents(work.db(), company, &previous).await?;
    let mut plans: BTreeMap<i64, PlanFigures> = BTreeMap::new();
    let mut add = |docs: &[PeriodDoc], previous: bool| -> (HashSet<SubscriberId>, i64) {
        let (mut who, mut sum) = (HashSet::new(), 0);
        for (plan, subscriber, kind, t) in docs {
            let signed = if kind == "credit_note" { -t } else { *t };
            let f = plans.entry(plan.unwrap_or(0)).or_default();
            let counted = kind == "invoice" && who.insert(*subscriber);
            if previous {
                f.previous_subscribers += i64::from(counted);
                f.previous_total_poisha += signed;
            } else {
                f.subscribers += i64::from(counted);
                f.total_poisha += signed;
            }
            sum += signed;
        }
        (who, sum)
    };
    let (now_subscribers, now_total) = add(&now_docs, false);
    let (before_subscribers, before_total) = add(&before_docs, true);
    for (id, f) in plans.iter_mut() {
        f.plan_id = *id;
        f.name = ctx
            .plans
            .get(&PlanId(*id))
            .map_or_else(|| "-".to_owned(), |p| p.name.clone());
    }
    let sorted = |set: HashSet<SubscriberId>| {
        let mut v: Vec<_> = set.into_iter().collect();
        v.sort_unstable();
        v
    };
    let new = sorted(
        now_subscribers
            .difference(&before_subscribers)
            .copied()
            .collect(),
    );
    let missing = sorted(
        before_subscribers
            .difference(&now_subscribers)
            .copied()
            .collect(),
    );
    Ok(Summary {
        period: period.to_string(),
        previous_period: previous,
        issued: issued.invoices + issued.credit_notes,
        issued_total_poisha: issued.total_poisha,
        subscribers: now_subscribers.len() as i64,
        total_poisha: now_total,
        previous_subscribers: before_subscribers.len() as i64,
        previous_total_poisha: before_total,
        plans: plans.into_values().collect(),
        new_count: new.len() as i64,
        new_subscribers: new.into_iter().take(50).collect(),
        missing_count: missing.len() as i64,
        missing_subscribers: missing.into_iter().take(50).collect(),
        errors,
        duration_ms: started.elapsed().as_millis() as i64,
    })
}

/// The period a job running on `today` bills for the company, if today is its billing date.
pub fn due_period(settings: &store::Settings, today: Date) -> Option<PeriodKey> {
    let cycle = settings.cycle_for(today);
    if matches!(cycle, Cycle::Anniversary { .. }) {
        // Anniversary periods start every day of the month: bill each day's starters (the run
        // for the month containing them is idempotent, so run it daily).
        return period::key_containing(Cycle::Fixed { day: 1 }, today).ok();
    }
    let key = period::key_containing(cycle, today).ok()?;
    [Some(key), key.prev()]
        .into_iter()
        .flatten()
        .find(|k| period::billing_date(settings.timing(), &period::period(cycle, *k)) == today)
}
