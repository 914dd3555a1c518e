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
use std::collections::BTreeMap;

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
    // Statistics are refreshed after the first batch that writes, then each time the run's
    // documents double.
    let mut analyze_at = 1;
    // A dry run's documents, which the database will not show the summary.
    let mut proposed_docs: Vec<store::PeriodDoc> = Vec::new();
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
                        let is_invoice = doc.kind != "credit_note";
                        proposed_docs.push(store::PeriodDoc {
                            subscriber: sub.subscriber_id,
                            plan: sub.plan_id.0,
                            is_invoice,
                            signed_poisha: if is_invoice {
                                doc.totals.total_poisha
                            } else {
                                -doc.totals.total_poisha
                            },
                        });
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
            let written = issued.invoices + issued.credit_notes;
            if written >= analyze_at {
                analyze_at = 2 * written;
                store::analyze(&mut *state.store.conn().await?).await?;
            }
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

/// One period's figures: per plan, the total and the subscribers whose first invoice of the
/// period is on it; the period's invoiced subscribers, ascending; and its total.
fn figures(docs: &mut [store::PeriodDoc]) -> (BTreeMap<i64, (i64, i64)>, Vec<SubscriberId>, i64) {
    docs.sort_unstable();
    let (mut plans, mut who, mut total) = (BTreeMap::<i64, (i64, i64)>::new(), Vec::new(), 0);
    for d in docs.iter() {
        let f = plans.entry(d.plan).or_default();
        f.1 += d.signed_poisha;
        total += d.signed_poisha;
        if d.is_invoice && who.last() != Some(&d.subscriber) {
            who.push(d.subscriber);
            f.0 += 1;
        }
    }
    (plans, who, total)
}

/// The ids in `a` not in `b` (both ascending): how many, and the first 50.
fn difference(a: &[SubscriberId], b: &[SubscriberId]) -> (i64, Vec<SubscriberId>) {
    let mut out = Vec::new();
    let mut count = 0;
    let mut j = 0;
    for id in a {
        while j < b.len() && b[j] < *id {
            j += 1;
        }
        if b.get(j) != Some(id) {
            count += 1;
            if out.len() < 50 {
                out.push(*id);
            }
        }
    }
    (count, out)
}

async fn summarise(
    work: &mut Work,
    ctx: &Context,
    period: PeriodKey,
    issued: &compose::Flushed,
    proposed: Vec<store::PeriodDoc>,
    errors: i64,
    started: std::time::Instant,
) -> Result<Summary> {
    let company: CompanyId = ctx.company;
    let previous = period.prev().map(|p| p.to_string()).unwrap_or_default();
    let mut now_docs = store::period_documents(work.db(), company, &period.to_string()).await?;
    now_docs.extend(proposed);
    let (now_plans, now_who, now_total) = figures(&mut now_docs);
    drop(now_docs);
    let mut before_docs = store::period_documents(work.db(), company, &previous).await?;
    let (before_plans, before_who, before_total) = figures(&mut before_docs);
    drop(before_docs);
    let mut plans: BTreeMap<i64, PlanFigures> = BTreeMap::new();
    for (id, (subscribers, total)) in now_plans {
        let f = plans.entry(id).or_default();
        (f.subscribers, f.total_poisha) = (subscribers, total);
    }
    for (id, (subscribers, total)) in before_plans {
        let f = plans.entry(id).or_default();
        (f.previous_subscribers, f.previous_total_poisha) = (subscribers, total);
    }
    for (id, f) in plans.iter_mut() {
        f.plan_id = *id;
        f.name = ctx
            .plans
            .get(&PlanId(*id))
            .map_or_else(|| "-".to_owned(), |p| p.name.clone());
    }
    let (new_count, new_subscribers) = difference(&now_who, &before_who);
    let (missing_count, missing_subscribers) = difference(&before_who, &now_who);
    Ok(Summary {
        period: period.to_string(),
        previous_period: previous,
        issued: issued.invoices + issued.credit_notes,
        issued_total_poisha: issued.total_poisha,
        subscribers: now_who.len() as i64,
        total_poisha: now_total,
        previous_subscribers: before_who.len() as i64,
        previous_total_poisha: before_total,
        plans: plans.into_values().collect(),
        new_count,
        new_subscribers,
        missing_count,
        missing_subscribers,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: impl IntoIterator<Item = i64>) -> Vec<SubscriberId> {
        v.into_iter().map(SubscriberId).collect()
    }

    #[test]
    fn who_is_new_and_who_is_missing_between_two_periods() {
        let now = ids([1, 2, 4, 7]);
        let before = ids([2, 3, 4, 5]);
        assert_eq!(difference(&now, &before), (2, ids([1, 7])));
        assert_eq!(difference(&before, &now), (2, ids([3, 5])));
        assert_eq!(difference(&now, &[]), (4, now.clone()));
        // Counted in full, listed up to 50.
        let many = ids(1..=120);
        let (count, listed) = difference(&many, &ids([5]));
        assert_eq!((count, listed.len(), listed[4]), (119, 50, SubscriberId(6)));
    }

    #[test]
    fn a_period_document_is_32_bytes() {
        assert_eq!(std::mem::size_of::<store::PeriodDoc>(), 32);
    }

    #[test]
    fn a_subscriber_counts_once_a_period_on_their_first_invoiced_plan() {
        let doc = |subscriber, plan, is_invoice, signed_poisha| store::PeriodDoc {
            subscriber: SubscriberId(subscriber),
            plan,
            is_invoice,
            signed_poisha,
        };
        let mut docs = vec![
            doc(2, 1, true, 1_000),
            doc(1, 2, true, 2_000),
            doc(1, 1, true, 500),
            doc(1, 1, false, -200),
            doc(3, 2, false, -300),
        ];
        let (plans, who, total) = figures(&mut docs);
        assert_eq!(who, ids([1, 2]), "a credit note alone does not count");
        assert_eq!(total, 3_000);
        assert_eq!(plans[&1], (2, 1_300));
        assert_eq!(plans[&2], (0, 1_700));
    }
}
