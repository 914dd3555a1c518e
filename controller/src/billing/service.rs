//! Billing's operations: settings and tax rates, runs (from staff, the CLI and jobs), and what
//! staff do with documents: finalise or discard a draft, void, credit, add a one-time charge.
//! Each takes a unit of work (a run, which commits batch by batch, takes the state, the scope
//! and the actor) and leaves every document with its ledger entry and audit entry in the same
//! transaction.

use super::compose::{self, Buyer, Context};
use super::store::{self, Invoice, InvoiceLine, NewInvoice, NewLine, Run, Settings, TaxRateRow};
use crate::kernel::db::now_ms;
use crate::kernel::http::extract::loose;
use crate::kernel::ids::{InvoiceId, SubscriberId};
use crate::kernel::money::Poisha;
use crate::kernel::scope::{Actor, Scope};
use crate::kernel::validate::Checks;
use crate::kernel::work::{Change, Work};
use crate::kernel::{Error, Result};
use crate::AppState;
use billing_core::document::{self, Line, Rounding};
use billing_core::period::PeriodKey;
use billing_core::tax::{self, TaxKind, TaxRate};
use jiff::civil::Date;
use jiff::ToSpan;
use serde::Deserialize;

/// The settings form and its JSON twin.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// `fixed` or `anniversary`.
    #[serde(default)]
    pub cycle: String,
    #[serde(default, deserialize_with = "loose::opt")]
    pub billing_day: Option<i64>,
    /// `prepaid` or `postpaid`.
    #[serde(default)]
    pub timing: String,
    #[serde(default, deserialize_with = "loose::opt")]
    pub due_day: Option<i64>,
    #[serde(default, deserialize_with = "loose::opt")]
    pub preview_days: Option<i64>,
    /// `poisha` or `taka`.
    #[serde(default)]
    pub rounding: String,
    #[serde(default, deserialize_with = "loose::flag")]
    pub series_per_branch: bool,
    #[serde(default)]
    pub bkash_number: String,
    #[serde(default)]
    pub payment_note: String,
}

impl From<&Settings> for SettingsInput {
    fn from(s: &Settings) -> Self {
        SettingsInput {
            cycle: s.cycle.clone(),
            billing_day: Some(s.billing_day),
            timing: s.timing.clone(),
            due_day: Some(s.due_day),
            preview_days: Some(s.preview_days),
            rounding: s.rounding.clone(),
            series_per_branch: s.series_per_branch,
            bkash_number: s.bkash_number.clone(),
            payment_note: s.payment_note.clone(),
        }
    }
}

fn validated(input: &SettingsInput) -> Result<Settings> {
    let mut checks = Checks::new();
    let defaults = Settings::default();
    let choice = |checks: &mut Checks,
                  field: &'static str,
                  value: &str,
                  options: &[&str],
                  default: &str|
     -> String {
        match value.trim() {
            "" => default.to_owned(),
            v if options.contains(&v) => v.to_owned(),
            _ => {
                checks.fail(field, "billing.bad_choice");
                default.to_owned()
            }
        }
    };
    let cycle = choice(
        &mut checks,
        "cycle",
        &input.cycle,
        &["fixed", "anniversary"],
        &defaults.cycle,
    );
    let timing = choice(
        &mut checks,
        "timing",
        &input.timing,
        &["prepaid", "postpaid"],
        &defaults.timing,
    );
    let rounding = choice(
        &mut checks,
        "rounding",
        &input.rounding,
        &["poisha", "taka"],
        &defaults.rounding,
    );
    let mut day = |field: &'static str,
                   value: Option<i64>,
                   default: i64,
                   range: std::ops::RangeInclusive<i64>,
                   code: &'static str| {
        let v = value.unwrap_or(default);
        if !range.contains(&v) {
            checks.fail(field, code);
        }
        v
    };
    let billing_day = day(
        "billing_day",
        input.billing_day,
        defaults.billing_day,
        1..=28,
        "billing.bad_day",
    );
    let due_day = day(
        "due_day",
        input.due_day,
        defaults.due_day,
        1..=28,
        "billing.bad_day",
    );
    let preview_days = day(
        "preview_days",
        input.preview_days,
        defaults.preview_days,
        0..=30,
        "billing.bad_preview",
    );
    let bkash_number = match input.bkash_number.trim() {
        "" => String::new(),
        n => crate::kernel::validate::normalise_phone(n).unwrap_or_else(|| {
            checks.fail("bkash_number", "settings.bad_phone");
            String::new()
        }),
    };
    let payment_note = checks.optional_text("payment_note", &input.payment_note, 300);
    checks.finish()?;
    Ok(Settings {
        cycle,
        billing_day,
        timing,
        due_day,
        preview_days,
        rounding,
        series_per_branch: input.series_per_branch,
        bkash_number,
        payment_note,
    })
}

/// Saves the company's billing settings (the first save switches billing on, with the default
/// tax rates if it has none); audited.
pub async fn save_settings(work: &mut Work, input: &SettingsInput) -> Result<Settings> {
    let settings = validated(input)?;
    let company = work.scope().company();
    let before = store::settings(work.db(), company).await?;
    store::save_settings(work.db(), company, &settings, now_ms()).await?;
    if store::tax_rates(work.db(), company).await?.is_empty() {
        store::replace_tax_rates(work.db(), company, &tax::default_rates()).await?;
    }
    work.audit(Change::new(
        "billing.settings",
        "company",
        company,
        &before,
        &settings,
    ))
    .await?;
    Ok(settings)
}

/// A tax rate from a day on, as staff add it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateInput {
    /// `vat` or `sd`.
    pub kind: String,
    /// Percent, e.g. `5` or `7.5`.
    pub rate: String,
    /// `YYYY-MM-DD`: the first day it applies; the rate in force until then ends the day before.
    pub valid_from: String,
}

/// Percent with at most two decimals as basis points (`7.5` → 750).
fn basis_points(text: &str) -> Option<u32> {
    let p = Poisha::parse_taka(text)?;
    u32::try_from(p.0).ok().filter(|bp| *bp <= 10_000)
}

/// Adds a rate from a day on: the open rate of its kind ends the day before. The whole table is
/// checked (no overlaps) before anything changes; audited.
pub async fn add_rate(work: &mut Work, input: &RateInput) -> Result<Vec<TaxRateRow>> {
    let mut checks = Checks::new();
    let kind = match input.kind.trim() {
        "vat" => Some(TaxKind::Vat),
        "sd" => Some(TaxKind::Sd),
        _ => {
            checks.fail("kind", "billing.bad_choice");
            None
        }
    };
    let rate = basis_points(&input.rate);
    if rate.is_none() {
        checks.fail("rate", "billing.bad_rate");
    }
    let from = crate::kernel::date::parse_date(&input.valid_from);
    if from.is_none() {
        checks.fail("valid_from", "billing.bad_date");
    }
    checks.finish()?;
    let (kind, rate, from) = (
        kind.expect("checked"),
        rate.expect("checked"),
        from.expect("checked"),
    );
    let company = work.scope().company();
    let before = store::tax_rates(work.db(), company).await?;
    let mut rates: Vec<TaxRate> = before.iter().map(TaxRateRow::core).collect();
    for r in rates
        .iter_mut()
        .filter(|r| r.kind == kind && r.valid_to.is_none() && r.valid_from < from)
    {
        r.valid_to = Some(
            from.yesterday()
                .map_err(|_| Error::field("valid_from", "billing.bad_date"))?,
        );
    }
    rates.push(TaxRate {
        kind,
        rate_bp: rate,
        valid_from: from,
        valid_to: None,
    });
    if tax::validate(&rates).is_err() {
        return Err(Error::field("valid_from", "billing.rates_overlap"));
    }
    store::replace_tax_rates(work.db(), company, &rates).await?;
    let after = store::tax_rates(work.db(), company).await?;
    work.audit(Change::new(
        "billing.tax_rate",
        "company",
        company,
        &before,
        &after,
    ))
    .await?;
    Ok(after)
}

/// A run as staff (or the API) ask for it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    /// `YYYY-MM`.
    pub period: String,
    #[serde(default, deserialize_with = "loose::flag")]
    pub dry_run: bool,
}

pub fn parse_period(text: &str) -> Result<PeriodKey> {
    PeriodKey::parse(text.trim()).map_err(|_| Error::field("period", "billing.bad_period"))
}

/// Runs billing in its own task (a caller that goes away does not stop it half-way) and waits
/// for it. `work` is the request's unit of work, given up first (a run commits batch by batch).
pub async fn run(work: Work, input: &RunInput) -> Result<Run> {
    let period = parse_period(&input.period)?;
    let (state, scope, actor) = (work.state().clone(), work.scope(), work.actor().clone());
    drop(work);
    let dry_run = input.dry_run;
    tokio::spawn(
        async move { super::run::run(&state, scope, actor, period, dry_run, |_, _| {}).await },
    )
    .await
    .map_err(|e| Error::Internal(e.into()))?
}

/// The `billing.run` job: `{"period": "YYYY-MM"}` for the job's company, as the system.
pub async fn run_from_job(state: &AppState, job: &crate::jobs::Job) -> anyhow::Result<()> {
    let company = job
        .company_id
        .ok_or_else(|| anyhow::anyhow!("a billing run needs a company"))?;
    let payload: serde_json::Value = serde_json::from_str(&job.payload)?;
    let period = PeriodKey::parse(payload["period"].as_str().unwrap_or_default())?;
    let job = job.clone();
    let state2 = state.clone();
    let run = super::run::run(
        state,
        Scope::system(company),
        Actor::System(super::RUN_JOB),
        period,
        false,
        move |done, total| {
            let (state, job) = (state2.clone(), job.clone());
            tokio::spawn(async move {
                crate::jobs::worker::progress(
                    &state,
                    &job,
                    &format!("{done} of {total} subscriptions"),
                )
                .await;
            });
        },
    )
    .await?;
    tracing::info!(company = %company, period = %period, invoices = run.invoices, "billing run done");
    Ok(())
}

/// The daily job: every company whose billing date is today gets its run enqueued (once: the
/// dedupe key is company and period).
pub async fn daily(state: &AppState, today: Date) -> anyhow::Result<()> {
    let mut db = state.store.conn().await?;
    for (company, settings) in store::billed_companies(&mut db).await? {
        let Some(period) = super::run::due_period(&settings, today) else {
            continue;
        };
        let mut work =
            crate::kernel::work::Work::system(state, Scope::system(company), super::DAILY_JOB)
                .await?;
        crate::jobs::service::enqueue(
            &mut work,
            &crate::jobs::NewJob {
                kind: super::RUN_JOB,
                company: Some(company),
                dedupe_key: format!("{company}:{period}"),
                payload: serde_json::json!({ "period": period.to_string() }),
                run_after: now_ms(),
            },
        )
        .await?;
        work.commit().await?;
    }
    drop(db);
    crate::subscriptions::service::apply_due(state, today).await
}

/// The `billing.finalise` job: the drafts of a run, once its preview window has passed.
pub async fn finalise_run_from_job(state: &AppState, job: &crate::jobs::Job) -> anyhow::Result<()> {
    let company = job
        .company_id
        .ok_or_else(|| anyhow::anyhow!("finalising needs a company"))?;
    let payload: serde_json::Value = serde_json::from_str(&job.payload)?;
    let run = crate::kernel::ids::BillingRunId(payload["run_id"].as_i64().unwrap_or_default());
    let mut after = 0;
    loop {
        let mut work = Work::system(state, Scope::system(company), super::FINALISE_JOB).await?;
        let ids = store::drafts_of_run(
            work.db(),
            company,
            run,
            after,
            state.config.billing.batch_size.max(1),
        )
        .await?;
        let Some(last) = ids.last() else {
            break;
        };
        after = last.0;
        let mut drafts = Vec::with_capacity(ids.len());
        for id in ids {
            drafts.push(store::get_invoice(&mut work, id).await?);
        }
        let mut ctx = Context::load(&mut work).await?;
        compose::finalise(work.db(), &mut ctx, &drafts).await?;
        work.commit().await?;
    }
    Ok(())
}

/// A document with its lines, what is left to pay and the credit notes against it.
pub struct Shown {
    pub invoice: Invoice,
    pub lines: Vec<InvoiceLine>,
    pub outstanding_poisha: i64,
    pub credit_notes: Vec<Invoice>,
    /// A credit note's invoice number.
    pub credit_of_number: Option<String>,
}

pub async fn show(work: &mut Work, id: InvoiceId) -> Result<Shown> {
    let invoice = store::get_invoice(work, id).await?;
    let lines = store::lines(work.db(), &[id]).await?;
    let outstanding_poisha = match (invoice.kind.as_str(), invoice.status.as_str()) {
        ("invoice", "finalised") => compose::outstanding(work.db(), id).await?,
        _ => 0,
    };
    let credit_notes = store::list(
        work,
        &store::InvoiceFilter {
            subscriber_id: Some(invoice.subscriber_id),
            kind: Some("credit_note".into()),
            limit: Some(500),
            ..Default::default()
        },
    )
    .await?
    .items
    .into_iter()
    .filter(|c| c.credit_of == Some(id))
    .collect();
    let credit_of_number = match invoice.credit_of {
        Some(of) => store::get_invoice(work, of).await?.number,
        None => None,
    };
    Ok(Shown {
        invoice,
        lines,
        outstanding_poisha,
        credit_notes,
        credit_of_number,
    })
}

/// Finalises a draft: numbered now, posted now; audited. Someone else's finalise or discard
/// first is `not_a_draft`.
pub async fn finalise(work: &mut Work, id: InvoiceId) -> Result<Invoice> {
    let before = store::get_invoice(work, id).await?;
    if before.status != "draft" {
        return Err(Error::Refused("not_a_draft"));
    }
    let mut ctx = Context::load(work).await?;
    compose::finalise(work.db(), &mut ctx, std::slice::from_ref(&before)).await?;
    let after = store::get_invoice(work, id).await?;
    audit_document(work, "invoice.finalise", &before, &after).await?;
    Ok(after)
}

/// Discards a draft (never a tax document, so nothing to reverse); audited.
pub async fn discard(work: &mut Work, id: InvoiceId) -> Result<()> {
    let before = store::get_invoice(work, id).await?;
    let company = work.scope().company();
    if !store::delete_draft(work.db(), company, id).await? {
        return Err(Error::Refused("not_a_draft"));
    }
    audit_document(work, "invoice.discard", &before, &serde_json::Value::Null).await
}

async fn audit_document(
    work: &mut Work,
    action: &'static str,
    before: &impl serde::Serialize,
    after: &impl serde::Serialize,
) -> Result<()> {
    let (id, branch) = match serde_json::to_value(before) {
        Ok(v) if v.is_object() => (
            v["id"].as_i64().unwrap_or_default(),
            v["branch_id"].as_i64(),
        ),
        _ => {
            let v = serde_json::to_value(after).unwrap_or_default();
            (
                v["id"].as_i64().unwrap_or_default(),
                v["branch_id"].as_i64(),
            )
        }
    };
    work.audit(
        Change::new(action, "invoice", id, before, after)
            .in_branch(branch.map(crate::kernel::ids::BranchId)),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidInput {
    #[serde(default)]
    pub reason: String,
}

/// Voids a finalised document: its entry reversed, its number kept, its dedupe key released (a
/// corrected document may be issued). Refused once anything was paid, credited or consumed
/// against it (`invoice_paid`: issue a credit note instead); audited.
pub async fn void(work: &mut Work, id: InvoiceId, input: &VoidInput) -> Result<Invoice> {
    let reason = crate::kernel::validate::text("reason", &input.reason, 200)?;
    let before = store::get_invoice(work, id).await?;
    if before.status != "finalised" {
        return Err(Error::Refused("not_finalised"));
    }
    let company = work.scope().company();
    let touched = store::allocated(work.db(), id).await? > 0
        || store::credited(work.db(), company, id).await? > 0
        || allocations_from(work, id).await? > 0;
    if touched {
        return Err(Error::Refused("invoice_paid"));
    }
    if before.kind == "credit_note" {
        // What the credit note put into the subscriber's advance must still be there to take
        // back.
        let balance = crate::ledger::store::balances(work.db(), company, &[before.subscriber_id])
            .await?
            .remove(&before.subscriber_id)
            .unwrap_or_default();
        if balance.advance_poisha < before.total_poisha {
            return Err(Error::Refused("invoice_paid"));
        }
    }
    let today = work.state().clock.today();
    let entry = crate::ledger::store::entry_of(work.db(), company, &before.kind, id.0)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("document {id} has no ledger entry")))?;
    let actor = work.actor().label();
    crate::ledger::store::reverse(
        work.db(),
        company,
        entry,
        "void",
        id.0,
        &today.to_string(),
        &format!("void {}", before.number.clone().unwrap_or_default()),
        &actor,
        now_ms(),
    )
    .await?;
    if !store::mark_voided(work.db(), company, id, &reason, now_ms()).await? {
        return Err(Error::Refused("not_finalised"));
    }
    let after = store::get_invoice(work, id).await?;
    audit_document(work, "invoice.void", &before, &after).await?;
    Ok(after)
}

/// What a credit note of `source` has settled.
async fn allocations_from(work: &mut Work, id: InvoiceId) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM allocations WHERE source = 'credit_note' AND source_id = $1",
    )
    .bind(id)
    .fetch_one(work.db())
    .await?;
    Ok(n)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditInput {
    /// The credit in taka, VAT included (`250`, `99.50`); or `amount_poisha`.
    #[serde(default)]
    pub amount: String,
    #[serde(default, deserialize_with = "loose::opt")]
    pub amount_poisha: Option<i64>,
    pub reason: String,
}

/// A credit note against a finalised invoice for part or all of what is left of it (VAT and SD
/// credited in the invoice's proportion), finalised and posted at once; what exceeds what the
/// subscriber still owes becomes an advance. Audited.
pub async fn credit(work: &mut Work, id: InvoiceId, input: &CreditInput) -> Result<Invoice> {
    let mut checks = Checks::new();
    let reason = checks.text("reason", &input.reason, 200);
    let amount = match (input.amount_poisha, input.amount.trim()) {
        (Some(p), _) if p > 0 => Some(p),
        (None, text) if !text.is_empty() => {
            Poisha::parse_taka(text).map(|p| p.0).filter(|p| *p > 0)
        }
        _ => None,
    };
    if amount.is_none() {
        checks.fail("amount", "invoices.bad_amount");
    }
    checks.finish()?;
    let amount = amount.expect("checked");
    let original = store::get_invoice(work, id).await?;
    if original.kind != "invoice" {
        return Err(Error::Refused("not_an_invoice"));
    }
    if original.status != "finalised" {
        return Err(Error::Refused("not_finalised"));
    }
    let company = work.scope().company();
    let already = store::credited(work.db(), company, id).await?;
    let totals = billing_core::document::Totals {
        net_poisha: original.net_poisha,
        sd_poisha: original.sd_poisha,
        vat_poisha: original.vat_poisha,
        rounding_poisha: original.rounding_poisha,
        total_poisha: original.total_poisha,
    };
    if document::check_credit(&totals, already, amount).is_err() {
        return Err(Error::field("amount", "invoices.credit_too_large"));
    }
    let share = |part: i64| {
        billing_core::money::round_half_up_div(
            i128::from(amount) * i128::from(part),
            i128::from(original.total_poisha.max(1)),
        )
    };
    let (vat, sd) = (share(original.vat_poisha), share(original.sd_poisha));
    let line = Line {
        net_poisha: amount - vat - sd,
        sd_poisha: sd,
        vat_poisha: vat,
    };
    let lines = store::lines(work.db(), &[id]).await?;
    let plan = lines
        .iter()
        .find(|l| l.item_kind == "plan")
        .map(|l| l.item_ref);
    let vat_bp = lines.first().map_or(0, |l| l.vat_rate_bp);
    let sd_bp = lines.first().map_or(0, |l| l.sd_rate_bp);
    let doc = NewInvoice {
        branch_id: original.branch_id,
        subscriber_id: original.subscriber_id,
        subscription_id: original.subscription_id,
        kind: "credit_note",
        status: "draft",
        period: original.period.clone(),
        reason: "credit".into(),
        dedupe_key: None,
        series: None,
        seq: None,
        number: None,
        issued_at: None,
        due_on: None,
        credit_of: Some(id),
        billing_run_id: None,
        totals: document::totals(&[line], Rounding::Poisha)
            .map_err(|e| Error::Internal(e.into()))?,
        seller: (
            original.seller_name.clone(),
            original.seller_address.clone(),
            original.seller_bin.clone(),
        ),
        buyer: (
            original.buyer_name.clone(),
            original.buyer_phone.clone(),
            original.buyer_address.clone(),
        ),
        note: reason.clone(),
        public_token: crate::kernel::random::token(),
        lines: vec![NewLine {
            subscription_id: original.subscription_id,
            item_kind: "adjustment",
            item_ref: plan.unwrap_or(0),
            category: plan.map_or_else(String::new, |p| format!("plan:{p}")),
            description: format!(
                "Credit on {}: {reason}",
                original.number.clone().unwrap_or_default()
            ),
            quantity: 1,
            unit_price_poisha: line.net_poisha,
            from_on: None,
            to_on: None,
            monthly_poisha: 0,
            effect: -1,
            line,
            sd_rate_bp: u32::try_from(sd_bp).unwrap_or(0),
            vat_rate_bp: u32::try_from(vat_bp).unwrap_or(0),
            credits_line_id: lines.first().map(|l| l.id),
        }],
    };
    let mut ctx = Context::load(work).await?;
    let (_, ids) = compose::flush(work.db(), &mut ctx, vec![doc], true).await?;
    let credit_id = ids
        .into_iter()
        .flatten()
        .next()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("credit note not written")))?;
    let note = store::get_invoice(work, credit_id).await?;
    audit_document(work, "invoice.credit", &serde_json::Value::Null, &note).await?;
    Ok(note)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeInput {
    #[serde(default, deserialize_with = "loose::opt")]
    #[schema(value_type = Option<i64>)]
    pub subscriber_id: Option<SubscriberId>,
    /// `connection_fee`, `reconnection_fee`, `equipment`, `late_fee` or `other`.
    pub category: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, deserialize_with = "loose::opt")]
    pub quantity: Option<i64>,
    /// Taka (`500`, `99.50`); or `unit_price_poisha`.
    #[serde(default)]
    pub unit_price: String,
    #[serde(default, deserialize_with = "loose::opt")]
    pub unit_price_poisha: Option<i64>,
}

pub const CATEGORIES: &[&str] = &[
    "connection_fee",
    "reconnection_fee",
    "equipment",
    "late_fee",
    "other",
];

/// A one-time charge (connection fee, equipment, a late fee) as its own invoice, taxed at
/// today's rates, finalised and posted at once; audited.
pub async fn one_time_charge(work: &mut Work, input: &ChargeInput) -> Result<Invoice> {
    let mut checks = Checks::new();
    let category = input.category.trim().to_owned();
    if !CATEGORIES.contains(&category.as_str()) {
        checks.fail("category", "invoices.bad_category");
    }
    let description = checks.optional_text("description", &input.description, 200);
    let quantity = input.quantity.unwrap_or(1);
    if !(1..=document::MAX_QUANTITY).contains(&quantity) {
        checks.fail("quantity", "invoices.bad_quantity");
    }
    let unit = match (input.unit_price_poisha, input.unit_price.trim()) {
        (Some(p), _) if p > 0 => Some(p),
        (None, text) if !text.is_empty() => {
            Poisha::parse_taka(text).map(|p| p.0).filter(|p| *p > 0)
        }
        _ => None,
    };
    if unit.is_none() {
        checks.fail("unit_price", "invoices.bad_amount");
    }
    let subscriber = match input.subscriber_id {
        Some(id) => crate::subscribers::store::get(work, id).await.ok(),
        None => None,
    };
    if subscriber.is_none() {
        checks.fail("subscriber_id", "field.required");
    }
    checks.finish()?;
    let (subscriber, unit) = (subscriber.expect("checked"), unit.expect("checked"));
    let mut ctx = Context::load(work).await?;
    let vat_bp = tax::rate_on(&ctx.rates, TaxKind::Vat, ctx.today);
    let sd_bp = tax::rate_on(&ctx.rates, TaxKind::Sd, ctx.today);
    let line = document::one_time(quantity, unit, vat_bp, sd_bp)
        .map_err(|_| Error::field("unit_price", "invoices.bad_amount"))?;
    let totals = document::totals(&[line], ctx.settings.rounding())
        .map_err(|e| Error::Internal(e.into()))?;
    let label = match category.as_str() {
        "connection_fee" => "Connection fee",
        "reconnection_fee" => "Reconnection fee",
        "equipment" => "Equipment",
        "late_fee" => "Late fee",
        _ => "Charge",
    };
    let buyer = Buyer {
        id: subscriber.id,
        branch_id: subscriber.branch_id,
        name: subscriber.fields.name.clone(),
        phone: subscriber.fields.phone.clone(),
    };
    let due = ctx
        .today
        .checked_add((i64::from(ctx.settings.due_day()) - 1).days())
        .unwrap_or(ctx.today);
    let doc = NewInvoice {
        branch_id: buyer.branch_id,
        subscriber_id: buyer.id,
        subscription_id: None,
        kind: "invoice",
        status: "draft",
        period: None,
        reason: "one_time".into(),
        dedupe_key: None,
        series: None,
        seq: None,
        number: None,
        issued_at: None,
        due_on: Some(due.to_string()),
        credit_of: None,
        billing_run_id: None,
        totals,
        seller: ctx.seller.clone(),
        buyer: (buyer.name.clone(), buyer.phone.clone(), String::new()),
        note: String::new(),
        public_token: crate::kernel::random::token(),
        lines: vec![NewLine {
            subscription_id: None,
            item_kind: "one_time",
            item_ref: 0,
            category: category.clone(),
            description: if description.is_empty() {
                label.to_owned()
            } else {
                format!("{label}: {description}")
            },
            quantity,
            unit_price_poisha: unit,
            from_on: None,
            to_on: None,
            monthly_poisha: 0,
            effect: 1,
            line,
            sd_rate_bp: sd_bp,
            vat_rate_bp: vat_bp,
            credits_line_id: None,
        }],
    };
    let (_, ids) = compose::flush(work.db(), &mut ctx, vec![doc], true).await?;
    let id = ids
        .into_iter()
        .flatten()
        .next()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("charge not written")))?;
    let invoice = store::get_invoice(work, id).await?;
    audit_document(work, "invoice.charge", &serde_json::Value::Null, &invoice).await?;
    Ok(invoice)
}

/// The BTRC cap a plan's price is above today for its speed, if any.
pub fn over_cap(plan: &crate::plans::store::Plan, today: Date) -> Option<billing_core::btrc::Cap> {
    let bps = plan.fields.download.parse::<provisioning::Rate>().ok()?.0;
    billing_core::btrc::over_cap(bps, plan.fields.price_poisha.0, today)
}

/// What a customer pays a month for a plan today, and the cap it breaks.
pub struct PlanPrice {
    /// The plan's price with supplementary duty and VAT in force today added.
    pub with_tax: Poisha,
    pub vat_bp: u32,
    pub over_cap: Option<billing_core::btrc::Cap>,
}

/// The plans page's tax and cap columns: the company's rates (or the defaults before billing
/// is set up) on the business day.
pub async fn plan_prices(
    work: &mut Work,
    plans: &[crate::plans::store::Plan],
) -> Result<Vec<PlanPrice>> {
    let company = work.scope().company();
    let today = work.state().clock.today();
    let rates = store::rates_or_defaults(work.db(), company).await?;
    let vat_bp = tax::rate_on(&rates, TaxKind::Vat, today);
    let sd_bp = tax::rate_on(&rates, TaxKind::Sd, today);
    plans
        .iter()
        .map(|plan| {
            let net = plan.fields.price_poisha.0;
            let line = tax::tax_line(net, vat_bp, sd_bp).map_err(|e| Error::Internal(e.into()))?;
            Ok(PlanPrice {
                with_tax: Poisha(net + line.sd_poisha + line.vat_poisha),
                vat_bp,
                over_cap: over_cap(plan, today),
            })
        })
        .collect()
}
