//! From facts to documents, one code path for the billing run and for every event (a new
//! subscription, an upgrade, a pause, a termination): load the company's [`Context`] once,
//! propose each subscription's lines for a period as the difference between what its history
//! asks and what was billed ([`billing_core::charge::propose`]), turn them into documents, and
//! [`flush`] a batch: numbers reserved per series, documents written with their unique keys,
//! and (when finalised) their ledger entries, advances consumed, allocations — all in the
//! caller's transaction.
//!
//! **Invariant: exactly once.** A document's dedupe key is `<subscription>/<period>/<reason>`,
//! unique per company in the database: a second writer of the same key (a rerun, a replica, a
//! retried job) writes nothing. Lines of one subscription and period are proposed only while
//! that subscription's row is locked (PostgreSQL) or the write lock is held (SQLite), and the
//! proposal diffs against every live line already billed, so the days of a period are billed
//! once whichever path gets there first.

use super::store::{self, Invoice, NewInvoice, NewLine, Settings};
use crate::kernel::db::{batch_rows, in_list, now_ms, Backend, Db, Result as StoreResult};
use crate::kernel::ids::{
    BillingRunId, BranchId, CompanyId, InvoiceId, InvoiceLineId, PlanId, SubscriberId,
    SubscriptionId,
};
use crate::kernel::work::Work;
use crate::kernel::{Error, Result};
use crate::ledger::store::{self as ledger, Chart, NewEntry};
use crate::subscriptions::store::{Event, Subscription};
use billing_core::charge::{self, Billed, History, ItemKind, Proposed, Sign};
use billing_core::document::{self, DocumentKind, Line, Totals};
use billing_core::numbering::{self, FinancialYear};
use billing_core::period::{self, PeriodKey};
use billing_core::posting::{self, Account};
use billing_core::tax::{self, TaxKind, TaxRate};
use jiff::civil::Date;
use std::collections::HashMap;

/// A plan as billing needs it.
#[derive(Debug, Clone)]
pub struct PlanInfo {
    pub name: String,
    pub price_poisha: i64,
}

/// A subscriber as their documents name them.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub id: SubscriberId,
    pub branch_id: Option<BranchId>,
    pub name: String,
    pub phone: String,
}

/// What a company's billing needs, loaded once per unit of work (or per run).
pub struct Context {
    pub company: CompanyId,
    pub settings: Settings,
    pub rates: Vec<TaxRate>,
    /// Name, address, BIN: the seller on every document.
    pub seller: (String, String, String),
    pub plans: HashMap<PlanId, PlanInfo>,
    pub chart: Chart,
    /// The Dhaka business day documents are issued and posted on.
    pub today: Date,
    pub now: i64,
    pub actor: String,
}

impl Context {
    /// The context of the work's company; `billing_not_configured` if it has no billing
    /// settings.
    pub async fn load(work: &mut Work) -> Result<Context> {
        let company = work.scope().company();
        let actor = work.actor().label();
        let clock = work.state().clock.clone();
        let mut ctx = Context::load_for(work.db(), company, actor, clock.today()).await?;
        ctx.now = clock.now_ms();
        Ok(ctx)
    }

    pub async fn load_for(
        db: &mut Db,
        company: CompanyId,
        actor: String,
        today: Date,
    ) -> Result<Context> {
        let Some(settings) = store::settings(db, company).await? else {
            return Err(Error::Refused("billing_not_configured"));
        };
        let rates = store::rates_or_defaults(db, company).await?;
        let profile = crate::tenancy::store::company(db, company).await?;
        let seller_name = if profile.profile.legal_name.is_empty() {
            profile.name.clone()
        } else {
            profile.profile.legal_name.clone()
        };
        let plans = crate::plans::store::all(db, company)
            .await?
            .into_iter()
            .map(|p| {
                (
                    p.id,
                    PlanInfo {
                        name: p.fields.name,
                        price_poisha: p.fields.price_poisha.0,
                    },
                )
            })
            .collect();
        Ok(Context {
            company,
            settings,
            rates,
            seller: (seller_name, profile.profile.address, profile.profile.bin),
            plans,
            chart: Chart::load(db, company).await?,
            today,
            now: now_ms(),
            actor,
        })
    }

    fn price_of(&self, plan: PlanId) -> Result<i64> {
        self.plans
            .get(&plan)
            .map(|p| p.price_poisha)
            .ok_or_else(|| {
                Error::Internal(anyhow::anyhow!("plan {plan} of the subscription is gone"))
            })
    }

    fn plan_name(&self, plan: i64) -> String {
        self.plans
            .get(&PlanId(plan))
            .map_or_else(|| format!("Plan {plan}"), |p| p.name.clone())
    }

    /// The period `key` of a subscription.
    pub fn period_of(&self, sub: &Subscription, key: PeriodKey) -> period::Period {
        period::period(self.settings.cycle_for(sub.starts_on), key)
    }
}

/// A subscription's history for the rules: its plans over time (the override applies while it
/// is on the plan it started on), pauses, end and discount.
pub fn history(ctx: &Context, sub: &Subscription, events: &[Event]) -> Result<History> {
    let monthly = |plan: PlanId| -> Result<i64> {
        match sub.price_override_poisha {
            Some(price) if plan == sub.plan_id => Ok(price),
            _ => ctx.price_of(plan),
        }
    };
    let mut changes = Vec::new();
    let mut pauses = Vec::new();
    for e in events.iter().filter(|e| e.subscription_id == sub.id) {
        match (e.kind.as_str(), e.plan_id, e.until_on) {
            ("plan_change", Some(plan), _) => changes.push(charge::PlanChange {
                effective_on: e.effective_on,
                plan_id: plan.0,
                monthly_poisha: monthly(plan)?,
            }),
            ("pause", _, Some(until)) => pauses.push(charge::Pause {
                from: e.effective_on,
                to: until,
            }),
            _ => {}
        }
    }
    Ok(History {
        subscription_id: sub.id.0,
        starts_on: sub.starts_on,
        ends_on: sub.ends_on,
        plan_id: sub.plan_id.0,
        monthly_poisha: monthly(sub.plan_id)?,
        changes,
        pauses,
        discount: (sub.discount_poisha > 0).then_some(charge::Discount {
            monthly_poisha: sub.discount_poisha,
            until: sub.discount_until,
        }),
    })
}

fn rule(e: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("billing rule: {e}"))
}

/// The lines `sub` still needs for period `key`, given what is `billed` on it already; taxed
/// at the rates in force on the period's billing date.
pub fn propose(
    ctx: &Context,
    sub: &Subscription,
    events: &[Event],
    key: PeriodKey,
    billed: &[Billed],
) -> Result<Vec<Proposed>> {
    let period = ctx.period_of(sub, key);
    let spans = charge::spans(&history(ctx, sub, events)?).map_err(rule)?;
    let on = period::billing_date(ctx.settings.timing(), &period).min(ctx.today.max(period.start));
    let vat = tax::rate_on(&ctx.rates, TaxKind::Vat, on);
    let sd = tax::rate_on(&ctx.rates, TaxKind::Sd, on);
    charge::propose(&period, &spans, billed, vat, sd).map_err(rule)
}

/// A document for `proposed` (an invoice, a credit note when they credit more than they
/// charge, or a zero invoice that records days billed at no cost), or `None` for nothing.
#[allow(clippy::too_many_arguments)]
pub fn document(
    ctx: &Context,
    sub: &Subscription,
    buyer: &Buyer,
    key: PeriodKey,
    reason: &str,
    proposed: &[Proposed],
    run: Option<BillingRunId>,
    credit_of: Option<InvoiceId>,
) -> Result<Option<NewInvoice>> {
    if proposed.is_empty() {
        return Ok(None);
    }
    let signed: Vec<Line> = proposed.iter().map(Line::from).collect();
    let rounding = ctx.settings.rounding();
    let (kind, shown, totals) = match document::compose(&signed, rounding).map_err(rule)? {
        Some(c) => (c.kind, c.lines, c.totals),
        None => (
            DocumentKind::Invoice,
            signed.clone(),
            document::totals(&signed, rounding).map_err(rule)?,
        ),
    };
    let period = ctx.period_of(sub, key);
    let lines = proposed
        .iter()
        .zip(&shown)
        .map(|(p, line)| {
            let what = match p.key.kind {
                ItemKind::Plan => ctx.plan_name(p.key.ref_id),
                ItemKind::Discount => "Discount".to_owned(),
            };
            let description = match p.sign {
                Sign::Charge => format!("{what} ({} to {})", p.from, p.to),
                Sign::Credit => format!("Credit: {what} ({} to {})", p.from, p.to),
            };
            NewLine {
                subscription_id: Some(sub.id),
                item_kind: match p.key.kind {
                    ItemKind::Plan => "plan",
                    ItemKind::Discount => "discount",
                },
                item_ref: p.key.ref_id,
                // What a discount takes off is the subscription's plan revenue.
                category: match p.key.kind {
                    ItemKind::Plan => String::new(),
                    ItemKind::Discount => format!("plan:{}", sub.plan_id),
                },
                description,
                quantity: 1,
                unit_price_poisha: line.net_poisha,
                from_on: Some(p.from),
                to_on: Some(p.to),
                monthly_poisha: p.monthly_poisha,
                effect: match p.sign {
                    Sign::Charge => 1,
                    Sign::Credit => -1,
                },
                line: *line,
                sd_rate_bp: p.sd_bp,
                vat_rate_bp: p.vat_bp,
                credits_line_id: p.credits_line.map(InvoiceLineId),
            }
        })
        .collect();
    let due_on = (kind == DocumentKind::Invoice).then(|| {
        period::due_on(ctx.settings.timing(), &period, ctx.settings.due_day()).max(ctx.today)
    });
    Ok(Some(NewInvoice {
        branch_id: buyer.branch_id,
        subscriber_id: buyer.id,
        subscription_id: Some(sub.id),
        kind: kind_name(kind),
        status: "draft",
        period: Some(key.to_string()),
        reason: reason.to_owned(),
        dedupe_key: Some(format!("{}/{key}/{reason}", sub.id)),
        series: None,
        seq: None,
        number: None,
        issued_at: None,
        due_on: due_on.map(|d| d.to_string()),
        credit_of,
        billing_run_id: run,
        totals,
        seller: ctx.seller.clone(),
        buyer: (buyer.name.clone(), buyer.phone.clone(), String::new()),
        note: String::new(),
        public_token: crate::kernel::random::token(),
        lines,
    }))
}

pub fn kind_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Invoice => "invoice",
        DocumentKind::CreditNote => "credit_note",
    }
}

fn kind_of(name: &str) -> DocumentKind {
    if name == "credit_note" {
        DocumentKind::CreditNote
    } else {
        DocumentKind::Invoice
    }
}

/// The series a document of `kind` issued today in `branch` draws its number from.
fn series(
    ctx: &Context,
    kind: DocumentKind,
    branch: Option<BranchId>,
) -> (FinancialYear, Option<String>, String) {
    let fy = FinancialYear::of(ctx.today);
    let code = branch
        .filter(|_| ctx.settings.series_per_branch)
        .map(|b| format!("B{b}"));
    let key = numbering::series_key(kind, fy, code.as_deref());
    (fy, code, key)
}

/// What a flush wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flushed {
    pub invoices: i64,
    pub credit_notes: i64,
    /// Invoices less credit notes.
    pub total_poisha: i64,
    /// Documents whose dedupe key existed already.
    pub existing: i64,
}

/// Numbers the drafts of `docs` that are to be finalised (in order, per series).
fn number(ctx: &Context, docs: &mut [NewInvoice], firsts: &HashMap<String, i64>) {
    let mut next = firsts.clone();
    for d in docs.iter_mut() {
        let kind = kind_of(d.kind);
        let (fy, code, key) = series(ctx, kind, d.branch_id);
        let seq = next.get_mut(&key).expect("reserved above");
        d.series = Some(key);
        d.seq = Some(*seq);
        d.number = Some(numbering::format_number(kind, fy, code.as_deref(), *seq));
        d.status = "finalised";
        d.issued_at = Some(ctx.now);
        *seq += 1;
    }
}

/// Writes `docs` in the caller's transaction: as drafts, or (`finalise`) numbered and posted.
/// Documents whose dedupe key exists are skipped whole. Returns what was written and the ids.
pub async fn flush(
    db: &mut Db,
    ctx: &mut Context,
    mut docs: Vec<NewInvoice>,
    finalise: bool,
) -> Result<(Flushed, Vec<Option<InvoiceId>>)> {
    if finalise {
        // Reserve per series as many numbers as there are documents; a document skipped by its
        // dedupe key would leave a hole, so first drop those whose key exists.
        docs = without_existing(db, ctx.company, docs).await?;
        let mut wanted: HashMap<String, i64> = HashMap::new();
        for d in &docs {
            *wanted
                .entry(series(ctx, kind_of(d.kind), d.branch_id).2)
                .or_default() += 1;
        }
        let mut firsts = HashMap::new();
        let mut keys: Vec<_> = wanted.into_iter().collect();
        keys.sort();
        for (key, n) in keys {
            firsts.insert(
                key.clone(),
                store::reserve_numbers(db, ctx.company, &key, n).await?,
            );
        }
        number(ctx, &mut docs, &firsts);
    }
    let ids = store::insert(db, ctx.company, &docs, ctx.now).await?;
    let mut flushed = Flushed::default();
    for (d, id) in docs.iter().zip(&ids) {
        match (id, d.kind) {
            (None, _) => flushed.existing += 1,
            (Some(_), "credit_note") => {
                flushed.credit_notes += 1;
                flushed.total_poisha -= d.totals.total_poisha;
            }
            (Some(_), _) => {
                flushed.invoices += 1;
                flushed.total_poisha += d.totals.total_poisha;
            }
        }
    }
    if finalise {
        let written: Vec<(&NewInvoice, InvoiceId)> = docs
            .iter()
            .zip(&ids)
            .filter_map(|(d, id)| id.map(|id| (d, id)))
            .collect();
        post(db, ctx, &written).await?;
    }
    Ok((flushed, ids))
}

/// The documents whose dedupe key is not taken yet (a finalising flush numbers only those).
async fn without_existing(
    db: &mut Db,
    company: CompanyId,
    docs: Vec<NewInvoice>,
) -> StoreResult<Vec<NewInvoice>> {
    let keys: Vec<&str> = docs
        .iter()
        .filter_map(|d| d.dedupe_key.as_deref())
        .collect();
    if keys.is_empty() {
        return Ok(docs);
    }
    let mut taken = std::collections::HashSet::new();
    for chunk in keys.chunks(batch_rows(Backend::of(db), 1) - 1) {
        let sql = format!(
            "SELECT dedupe_key FROM invoices WHERE company_id = $1 AND dedupe_key IN ({})",
            in_list(Backend::of(db), 2, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql)).bind(company);
        for k in chunk {
            q = q.bind(*k);
        }
        taken.extend(q.fetch_all(&mut *db).await?.into_iter().map(|(k,)| k));
    }
    Ok(docs
        .into_iter()
        .filter(|d| d.dedupe_key.as_ref().is_none_or(|k| !taken.contains(k)))
        .collect())
}

/// The ledger side of finalised documents: each one's entry; an invoice then consumes the
/// subscriber's advance; a credit note settles what is left of its invoice and the rest becomes
/// an advance.
pub async fn post(db: &mut Db, ctx: &mut Context, docs: &[(&NewInvoice, InvoiceId)]) -> Result<()> {
    if docs.is_empty() {
        return Ok(());
    }
    let mut subscribers: Vec<SubscriberId> = docs.iter().map(|(d, _)| d.subscriber_id).collect();
    subscribers.sort_unstable();
    subscribers.dedup();
    let mut balances = ledger::balances(db, ctx.company, &subscribers).await?;
    let mut entries = Vec::with_capacity(docs.len());
    let mut allocations = Vec::new();
    let mut advance_uses: Vec<(InvoiceId, i64, SubscriberId)> = Vec::new();
    for (d, id) in docs {
        let lines: Vec<(Account, Line)> =
            d.lines.iter().map(|l| (line_account(l), l.line)).collect();
        let subscriber = d.subscriber_id.0;
        let balance = balances.entry(d.subscriber_id).or_default();
        let postings = if d.kind == "credit_note" {
            let outstanding = match d.credit_of {
                Some(of) => outstanding(db, of).await?,
                None => 0,
            };
            let to_receivable = d
                .totals
                .total_poisha
                .min(balance.receivable_poisha.max(0))
                .min(outstanding.max(0));
            if let (Some(of), true) = (d.credit_of, to_receivable > 0) {
                allocations.push((of, "credit_note", id.0, to_receivable));
            }
            balance.receivable_poisha -= to_receivable;
            balance.advance_poisha += d.totals.total_poisha - to_receivable;
            posting::credit_note(subscriber, &lines, &d.totals, to_receivable).map_err(rule)?
        } else {
            balance.receivable_poisha += d.totals.total_poisha;
            let use_advance = balance.advance_poisha.min(d.totals.total_poisha).max(0);
            if use_advance > 0 {
                balance.advance_poisha -= use_advance;
                balance.receivable_poisha -= use_advance;
                advance_uses.push((*id, use_advance, d.subscriber_id));
            }
            posting::invoice(subscriber, &lines, &d.totals).map_err(rule)?
        };
        if postings.len() >= 2 {
            entries.push(NewEntry {
                kind: d.kind,
                document_id: id.0,
                posted_on: ctx.today.to_string(),
                memo: d.number.clone().unwrap_or_default(),
                postings,
            });
        }
    }
    for (invoice, amount, subscriber) in &advance_uses {
        let postings = posting::apply_advance(subscriber.0, *amount, *amount).map_err(rule)?;
        entries.push(NewEntry {
            kind: "advance",
            document_id: invoice.0,
            posted_on: ctx.today.to_string(),
            memo: "advance consumed".into(),
            postings,
        });
    }
    name_revenue_accounts(db, ctx, docs).await?;
    let ids = ledger::post(db, &mut ctx.chart, &entries, &ctx.actor, ctx.now).await?;
    let entry_of: HashMap<(&str, i64), crate::kernel::ids::EntryId> = entries
        .iter()
        .zip(&ids)
        .map(|(e, id)| ((e.kind, e.document_id), *id))
        .collect();
    let mut rows = Vec::new();
    for (invoice, amount, _) in advance_uses {
        rows.push(store::NewAllocation {
            invoice_id: invoice,
            source: "advance",
            source_id: invoice.0,
            entry_id: entry_of[&("advance", invoice.0)],
            amount_poisha: amount,
        });
    }
    for (invoice, source, credit_note, amount) in allocations {
        rows.push(store::NewAllocation {
            invoice_id: invoice,
            source,
            source_id: credit_note,
            entry_id: entry_of[&("credit_note", credit_note)],
            amount_poisha: amount,
        });
    }
    store::allocate(db, ctx.company, &rows, ctx.now).await?;
    Ok(())
}

/// Plan revenue accounts are named after their plan when first made.
async fn name_revenue_accounts(
    db: &mut Db,
    ctx: &mut Context,
    docs: &[(&NewInvoice, InvoiceId)],
) -> Result<()> {
    let mut plans: Vec<i64> = docs
        .iter()
        .flat_map(|(d, _)| d.lines.iter())
        .filter(|l| l.item_kind != "one_time" && l.item_kind != "adjustment")
        .map(|l| if l.item_kind == "plan" { l.item_ref } else { 0 })
        .filter(|p| *p > 0)
        .collect();
    plans.sort_unstable();
    plans.dedup();
    for plan in plans {
        let name = ctx.plan_name(plan);
        let en = format!("Internet service revenue: {name}");
        let bn = format!("ইন্টারনেট সেবা আয়: {name}");
        ctx.chart
            .id(db, &Account::Revenue { plan_id: plan }, Some((&en, &bn)))
            .await?;
    }
    Ok(())
}

/// The revenue account a line earns for: its plan's (a discount, the subscription's plan at
/// the time — recorded in the line's `category` as `plan:<id>` — or its one-time category).
fn line_account(l: &NewLine) -> Account {
    use billing_core::posting::Category;
    match l.item_kind {
        "plan" => Account::Revenue {
            plan_id: l.item_ref,
        },
        "discount" | "adjustment" => l
            .category
            .strip_prefix("plan:")
            .and_then(|p| p.parse().ok())
            .map_or(
                Account::OtherRevenue {
                    category: Category::Other,
                },
                |plan_id| Account::Revenue { plan_id },
            ),
        _ => Account::OtherRevenue {
            category: match l.category.as_str() {
                "connection_fee" => Category::ConnectionFee,
                "reconnection_fee" => Category::ReconnectionFee,
                "equipment" => Category::Equipment,
                "late_fee" => Category::LateFee,
                _ => Category::Other,
            },
        },
    }
}

/// What is left to pay on an invoice.
pub async fn outstanding(db: &mut Db, invoice: InvoiceId) -> StoreResult<i64> {
    let (total,): (i64,) = sqlx::query_as("SELECT total_poisha FROM invoices WHERE id = $1")
        .bind(invoice)
        .fetch_one(&mut *db)
        .await?;
    Ok(total - store::allocated(db, invoice).await?)
}

/// Finalises drafts (staff's button, or the end of a run's preview window): numbers under the
/// series lock and the ledger entries, in the caller's transaction. A draft someone else
/// finalised first is a conflict.
pub async fn finalise(db: &mut Db, ctx: &mut Context, drafts: &[Invoice]) -> Result<()> {
    let ids: Vec<InvoiceId> = drafts.iter().map(|d| d.id).collect();
    let lines = store::lines(db, &ids).await?;
    let mut docs: Vec<NewInvoice> = drafts
        .iter()
        .map(|d| NewInvoice {
            branch_id: d.branch_id,
            subscriber_id: d.subscriber_id,
            subscription_id: d.subscription_id,
            kind: if d.kind == "credit_note" {
                "credit_note"
            } else {
                "invoice"
            },
            status: "draft",
            period: d.period.clone(),
            reason: d.reason.clone(),
            dedupe_key: d.dedupe_key.clone(),
            series: None,
            seq: None,
            number: None,
            issued_at: None,
            due_on: d.due_on.clone(),
            credit_of: d.credit_of,
            billing_run_id: d.billing_run_id,
            totals: Totals {
                net_poisha: d.net_poisha,
                sd_poisha: d.sd_poisha,
                vat_poisha: d.vat_poisha,
                rounding_poisha: d.rounding_poisha,
                total_poisha: d.total_poisha,
            },
            seller: (
                d.seller_name.clone(),
                d.seller_address.clone(),
                d.seller_bin.clone(),
            ),
            buyer: (
                d.buyer_name.clone(),
                d.buyer_phone.clone(),
                d.buyer_address.clone(),
            ),
            note: d.note.clone(),
            public_token: d.public_token.clone(),
            lines: lines
                .iter()
                .filter(|l| l.invoice_id == d.id)
                .map(stored_line)
                .collect(),
        })
        .collect();
    let mut wanted: HashMap<String, i64> = HashMap::new();
    for d in &docs {
        *wanted
            .entry(series(ctx, kind_of(d.kind), d.branch_id).2)
            .or_default() += 1;
    }
    let mut keys: Vec<_> = wanted.into_iter().collect();
    keys.sort();
    let mut firsts = HashMap::new();
    for (key, n) in keys {
        firsts.insert(
            key.clone(),
            store::reserve_numbers(db, ctx.company, &key, n).await?,
        );
    }
    number(ctx, &mut docs, &firsts);
    for (d, draft) in docs.iter().zip(drafts) {
        let done = store::mark_finalised(
            db,
            ctx.company,
            draft.id,
            d.series.as_deref().unwrap_or_default(),
            d.seq.unwrap_or_default(),
            d.number.as_deref().unwrap_or_default(),
            ctx.now,
        )
        .await?;
        if !done {
            return Err(Error::Refused("not_a_draft"));
        }
    }
    let written: Vec<(&NewInvoice, InvoiceId)> = docs
        .iter()
        .zip(drafts)
        .map(|(d, draft)| (d, draft.id))
        .collect();
    post(db, ctx, &written).await
}

fn stored_line(l: &store::InvoiceLine) -> NewLine {
    NewLine {
        subscription_id: l.subscription_id,
        item_kind: match l.item_kind.as_str() {
            "plan" => "plan",
            "discount" => "discount",
            "adjustment" => "adjustment",
            _ => "one_time",
        },
        item_ref: l.item_ref,
        category: l.category.clone(),
        description: l.description.clone(),
        quantity: l.quantity,
        unit_price_poisha: l.unit_price_poisha,
        from_on: l.from_on.as_deref().and_then(|d| d.parse().ok()),
        to_on: l.to_on.as_deref().and_then(|d| d.parse().ok()),
        monthly_poisha: l.monthly_poisha,
        effect: l.effect,
        line: Line {
            net_poisha: l.net_poisha,
            sd_poisha: l.sd_poisha,
            vat_poisha: l.vat_poisha,
        },
        sd_rate_bp: u32::try_from(l.sd_rate_bp).unwrap_or(0),
        vat_rate_bp: u32::try_from(l.vat_rate_bp).unwrap_or(0),
        credits_line_id: l.credits_line_id,
    }
}

/// The subscribers `ids` as their documents name them.
pub async fn buyers(
    db: &mut Db,
    company: CompanyId,
    ids: &[SubscriberId],
) -> StoreResult<HashMap<SubscriberId, Buyer>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(batch_rows(Backend::of(db), 1) - 1) {
        if chunk.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT id, branch_id, name, phone FROM subscribers WHERE company_id = $1 AND id IN ({})",
            in_list(Backend::of(db), 2, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (SubscriberId, Option<BranchId>, String, String)>(
            sqlx::AssertSqlSafe(sql),
        )
        .bind(company);
        for id in chunk {
            q = q.bind(*id);
        }
        for (id, branch_id, name, phone) in q.fetch_all(&mut *db).await? {
            out.insert(
                id,
                Buyer {
                    id,
                    branch_id,
                    name,
                    phone,
                },
            );
        }
    }
    Ok(out)
}

/// Bills one subscription for `keys` now (a new subscription, a late start, a change): each
/// period's missing lines become one document, finalised at once; `reason` names what caused
/// them (`start`, `periodic`, `event-<id>`). Returns the documents written.
pub async fn bill_now(
    work: &mut Work,
    ctx: &mut Context,
    sub: &Subscription,
    keys: &[PeriodKey],
    reason_for: impl Fn(&period::Period) -> String,
) -> Result<Vec<InvoiceId>> {
    let company = ctx.company;
    let buyer = buyers(work.db(), company, &[sub.subscriber_id])
        .await?
        .remove(&sub.subscriber_id)
        .ok_or(Error::NotFound)?;
    let events = crate::subscriptions::store::events_of(work.db(), company, &[sub.id]).await?;
    let mut docs = Vec::new();
    for key in keys {
        let billed = store::billed(work.db(), company, &key.to_string(), sub.id, sub.id)
            .await?
            .remove(&sub.id)
            .unwrap_or_default();
        let proposed = propose(ctx, sub, &events, *key, &billed)?;
        let credit_of = first_credited_invoice(work.db(), &proposed).await?;
        let period = ctx.period_of(sub, *key);
        if let Some(doc) = document(
            ctx,
            sub,
            &buyer,
            *key,
            &reason_for(&period),
            &proposed,
            None,
            credit_of,
        )? {
            docs.push(doc);
        }
    }
    let (_, ids) = flush(work.db(), ctx, docs, true).await?;
    Ok(ids.into_iter().flatten().collect())
}

/// The invoice whose line the first credit gives back, for a credit note's reference.
async fn first_credited_invoice(
    db: &mut Db,
    proposed: &[Proposed],
) -> StoreResult<Option<InvoiceId>> {
    let Some(line) = proposed.iter().find_map(|p| p.credits_line) else {
        return Ok(None);
    };
    let row: Option<(InvoiceId,)> =
        sqlx::query_as("SELECT invoice_id FROM invoice_lines WHERE id = $1")
            .bind(line)
            .fetch_optional(&mut *db)
            .await?;
    Ok(row.map(|(id,)| id))
}

/// Whether a subscription is anything to bill in period `key` at all.
pub fn overlaps(ctx: &Context, sub: &Subscription, key: PeriodKey) -> bool {
    let p = ctx.period_of(sub, key);
    sub.starts_on <= p.end && sub.ends_on.is_none_or(|end| end >= p.start)
}

pub type SubscriptionIds = Vec<SubscriptionId>;
