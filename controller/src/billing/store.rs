//! Billing's tables: settings, tax rates, invoices and credit notes with their lines, number
//! series, billing runs and allocations. Documents are scoped by the work's company and, for
//! branch-limited staff, the subscriber's branch.

use crate::kernel::db::{batch_rows, get, in_list, values_list, Backend, Db, Result, StoreError};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::ids::{
    BillingRunId, BranchId, CompanyId, EntryId, InvoiceId, InvoiceLineId, SubscriberId,
    SubscriptionId, TaxRateId,
};
use crate::kernel::work::Work;
use billing_core::charge::{Billed, ItemKey, ItemKind, Sign};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// A company's billing settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// `fixed` (every period starts on `billing_day`) or `anniversary` (on the subscription's
    /// start day).
    pub cycle: String,
    pub billing_day: i64,
    /// `prepaid` (billed at the start of the period) or `postpaid` (after it).
    pub timing: String,
    /// The day of the period payment is due (10: the 10th day).
    pub due_day: i64,
    /// Days a run's invoices stay drafts before they are finalised (0: at once).
    pub preview_days: i64,
    /// `poisha` or `taka` (totals rounded to the whole taka, the difference to its account).
    pub rounding: String,
    pub series_per_branch: bool,
    /// Printed under "how to pay".
    pub bkash_number: String,
    pub payment_note: String,
}

impl Default for Settings {
    /// The Bangladeshi market's defaults: a fixed cycle on the 1st, prepaid, due on the 10th,
    /// finalised at once, to the poisha, one series per company.
    fn default() -> Self {
        Settings {
            cycle: "fixed".into(),
            billing_day: 1,
            timing: "prepaid".into(),
            due_day: 10,
            preview_days: 0,
            rounding: "poisha".into(),
            series_per_branch: false,
            bkash_number: String::new(),
            payment_note: String::new(),
        }
    }
}

impl Settings {
    /// The cycle of a subscription that starts on `starts_on`.
    pub fn cycle_for(&self, starts_on: Date) -> billing_core::period::Cycle {
        use billing_core::period::Cycle;
        if self.cycle == "anniversary" {
            Cycle::anniversary_for(starts_on)
        } else {
            Cycle::Fixed {
                day: u8::try_from(self.billing_day.clamp(1, 28)).unwrap_or(1),
            }
        }
    }

    pub fn timing(&self) -> billing_core::period::Timing {
        if self.timing == "postpaid" {
            billing_core::period::Timing::Postpaid
        } else {
            billing_core::period::Timing::Prepaid
        }
    }

    pub fn rounding(&self) -> billing_core::document::Rounding {
        if self.rounding == "taka" {
            billing_core::document::Rounding::Taka
        } else {
            billing_core::document::Rounding::Poisha
        }
    }

    pub fn due_day(&self) -> u8 {
        u8::try_from(self.due_day.clamp(1, 28)).unwrap_or(10)
    }
}

pub async fn settings(db: &mut Db, company: CompanyId) -> Result<Option<Settings>> {
    let row = sqlx::query(
        "SELECT cycle, billing_day, timing, due_day, preview_days, rounding, series_per_branch,
                bkash_number, payment_note
         FROM billing_settings WHERE company_id = $1",
    )
    .bind(company)
    .fetch_optional(&mut *db)
    .await?;
    row.map(|row| {
        Ok(Settings {
            cycle: get(&row, "cycle")?,
            billing_day: get(&row, "billing_day")?,
            timing: get(&row, "timing")?,
            due_day: get(&row, "due_day")?,
            preview_days: get(&row, "preview_days")?,
            rounding: get(&row, "rounding")?,
            series_per_branch: crate::kernel::db::get_flag(&row, "series_per_branch")?,
            bkash_number: get(&row, "bkash_number")?,
            payment_note: get(&row, "payment_note")?,
        })
    })
    .transpose()
}

pub async fn save_settings(db: &mut Db, company: CompanyId, s: &Settings, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO billing_settings (company_id, cycle, billing_day, timing, due_day, preview_days,
             rounding, series_per_branch, bkash_number, payment_note, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (company_id) DO UPDATE SET cycle = $2, billing_day = $3, timing = $4,
             due_day = $5, preview_days = $6, rounding = $7, series_per_branch = $8,
             bkash_number = $9, payment_note = $10, updated_at = $11",
    )
    .bind(company)
    .bind(&s.cycle)
    .bind(s.billing_day)
    .bind(&s.timing)
    .bind(s.due_day)
    .bind(s.preview_days)
    .bind(&s.rounding)
    .bind(i64::from(s.series_per_branch))
    .bind(&s.bkash_number)
    .bind(&s.payment_note)
    .bind(now)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// The companies that have billing settings, for the daily billing job.
pub async fn billed_companies(db: &mut Db) -> Result<Vec<(CompanyId, Settings)>> {
    let ids: Vec<(CompanyId,)> =
        sqlx::query_as("SELECT company_id FROM billing_settings ORDER BY company_id")
            .fetch_all(&mut *db)
            .await?;
    let mut out = Vec::new();
    for (id,) in ids {
        if let Some(s) = settings(db, id).await? {
            out.push((id, s));
        }
    }
    Ok(out)
}

/// One effective-dated tax rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaxRateRow {
    pub id: TaxRateId,
    /// `vat` or `sd`.
    pub kind: String,
    /// Basis points: 500 = 5.00 %.
    pub rate_bp: i64,
    #[schema(value_type = String)]
    pub valid_from: Date,
    #[schema(value_type = Option<String>)]
    pub valid_to: Option<Date>,
}

impl TaxRateRow {
    pub fn core(&self) -> billing_core::tax::TaxRate {
        billing_core::tax::TaxRate {
            kind: if self.kind == "sd" {
                billing_core::tax::TaxKind::Sd
            } else {
                billing_core::tax::TaxKind::Vat
            },
            rate_bp: u32::try_from(self.rate_bp).unwrap_or(0),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        }
    }
}

fn date_col(row: &AnyRow, column: &'static str) -> Result<Date> {
    let text: String = get(row, column)?;
    text.parse().map_err(|_| StoreError::Corrupt {
        column,
        value: text,
    })
}

fn opt_date_col(row: &AnyRow, column: &'static str) -> Result<Option<Date>> {
    let text: Option<String> = get(row, column)?;
    text.map(|text| {
        text.parse().map_err(|_| StoreError::Corrupt {
            column,
            value: text,
        })
    })
    .transpose()
}

pub async fn tax_rates(db: &mut Db, company: CompanyId) -> Result<Vec<TaxRateRow>> {
    let rows = sqlx::query(
        "SELECT id, kind, rate_bp, valid_from, valid_to FROM tax_rates
         WHERE company_id = $1 ORDER BY kind DESC, valid_from",
    )
    .bind(company)
    .fetch_all(&mut *db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TaxRateRow {
                id: get(row, "id")?,
                kind: get(row, "kind")?,
                rate_bp: get(row, "rate_bp")?,
                valid_from: date_col(row, "valid_from")?,
                valid_to: opt_date_col(row, "valid_to")?,
            })
        })
        .collect()
}

/// Replaces the company's tax rates (already validated as a whole).
/// The company's rates as billing applies them: its own rows, or the defaults
/// (`billing_core::tax::default_rates`) while it has none.
pub async fn rates_or_defaults(
    db: &mut Db,
    company: CompanyId,
) -> Result<Vec<billing_core::tax::TaxRate>> {
    let rates: Vec<_> = tax_rates(db, company)
        .await?
        .iter()
        .map(TaxRateRow::core)
        .collect();
    Ok(if rates.is_empty() {
        billing_core::tax::default_rates()
    } else {
        rates
    })
}

pub async fn replace_tax_rates(
    db: &mut Db,
    company: CompanyId,
    rates: &[billing_core::tax::TaxRate],
) -> Result<()> {
    sqlx::query("DELETE FROM tax_rates WHERE company_id = $1")
        .bind(company)
        .execute(&mut *db)
        .await?;
    for r in rates {
        sqlx::query(
            "INSERT INTO tax_rates (company_id, kind, rate_bp, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(company)
        .bind(match r.kind {
            billing_core::tax::TaxKind::Vat => "vat",
            billing_core::tax::TaxKind::Sd => "sd",
        })
        .bind(i64::from(r.rate_bp))
        .bind(r.valid_from.to_string())
        .bind(r.valid_to.map(|d| d.to_string()))
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}

/// An invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Invoice {
    pub id: InvoiceId,
    pub company_id: CompanyId,
    pub branch_id: Option<BranchId>,
    pub subscriber_id: SubscriberId,
    pub subscription_id: Option<SubscriptionId>,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// `draft`, `finalised` or `voided`.
    pub status: String,
    /// The billing period (`YYYY-MM`); absent for one-time charges.
    pub period: Option<String>,
    /// `start`, `periodic`, `event-<id>`, `one_time`, `credit`.
    pub reason: String,
    #[serde(skip)]
    pub dedupe_key: Option<String>,
    pub number: Option<String>,
    /// When it was issued (finalised), UTC ms.
    pub issued_at: Option<i64>,
    /// `YYYY-MM-DD`, Dhaka.
    pub due_on: Option<String>,
    /// A credit note's invoice.
    pub credit_of: Option<InvoiceId>,
    pub billing_run_id: Option<BillingRunId>,
    pub net_poisha: i64,
    pub sd_poisha: i64,
    pub vat_poisha: i64,
    pub rounding_poisha: i64,
    pub total_poisha: i64,
    pub seller_name: String,
    pub seller_address: String,
    pub seller_bin: String,
    pub buyer_name: String,
    pub buyer_phone: String,
    pub buyer_address: String,
    pub note: String,
    #[serde(skip)]
    pub public_token: String,
    pub created_at: i64,
    pub finalised_at: Option<i64>,
    pub voided_at: Option<i64>,
    pub void_reason: String,
}

macro_rules! invoice_columns {
    () => {
        "id, company_id, branch_id, subscriber_id, subscription_id, kind, status, period, reason,
         dedupe_key, number, issued_at, due_on, credit_of, billing_run_id, net_poisha, sd_poisha,
         vat_poisha, rounding_poisha, total_poisha, seller_name, seller_address, seller_bin,
         buyer_name, buyer_phone, buyer_address, note, public_token, created_at, finalised_at,
         voided_at, void_reason"
    };
}

/// A line as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct InvoiceLine {
    pub id: InvoiceLineId,
    #[serde(skip)]
    pub invoice_id: InvoiceId,
    pub position: i64,
    pub subscription_id: Option<SubscriptionId>,
    /// `plan`, `discount`, `one_time` or `adjustment`.
    pub item_kind: String,
    pub item_ref: i64,
    pub category: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price_poisha: i64,
    pub from_on: Option<String>,
    pub to_on: Option<String>,
    pub monthly_poisha: i64,
    /// 1: bills the days it covers; -1: credits them.
    pub effect: i64,
    pub net_poisha: i64,
    pub sd_rate_bp: i64,
    pub sd_poisha: i64,
    pub vat_rate_bp: i64,
    pub vat_poisha: i64,
    pub total_poisha: i64,
    pub credits_line_id: Option<InvoiceLineId>,
}

macro_rules! line_columns {
    () => {
        "id, invoice_id, position, subscription_id, item_kind, item_ref, category, description,
         quantity, unit_price_poisha, from_on, to_on, monthly_poisha, effect, net_poisha,
         sd_rate_bp, sd_poisha, vat_rate_bp, vat_poisha, total_poisha, credits_line_id"
    };
}

/// A document to write (its id comes back from the database).
#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub branch_id: Option<BranchId>,
    pub subscriber_id: SubscriberId,
    pub subscription_id: Option<SubscriptionId>,
    pub kind: &'static str,
    pub status: &'static str,
    pub period: Option<String>,
    pub reason: String,
    pub dedupe_key: Option<String>,
    pub series: Option<String>,
    pub seq: Option<i64>,
    pub number: Option<String>,
    pub issued_at: Option<i64>,
    pub due_on: Option<String>,
    pub credit_of: Option<InvoiceId>,
    pub billing_run_id: Option<BillingRunId>,
    pub totals: billing_core::document::Totals,
    pub seller: (String, String, String),
    pub buyer: (String, String, String),
    pub note: String,
    pub public_token: String,
    pub lines: Vec<NewLine>,
}

#[derive(Debug, Clone)]
pub struct NewLine {
    pub subscription_id: Option<SubscriptionId>,
    pub item_kind: &'static str,
    pub item_ref: i64,
    pub category: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price_poisha: i64,
    pub from_on: Option<Date>,
    pub to_on: Option<Date>,
    pub monthly_poisha: i64,
    pub effect: i64,
    pub line: billing_core::document::Line,
    pub sd_rate_bp: u32,
    pub vat_rate_bp: u32,
    pub credits_line_id: Option<InvoiceLineId>,
}

/// Writes `docs` in batches; returns each one's id in order, or `None` for a document whose
/// dedupe key already exists (it was issued before: nothing of it is written again).
pub async fn insert(
    db: &mut Db,
    company: CompanyId,
    docs: &[NewInvoice],
    now: i64,
) -> Result<Vec<Option<InvoiceId>>> {
    const COLS: usize = 30;
    let mut ids = Vec::with_capacity(docs.len());
    for chunk in docs.chunks(batch_rows(Backend::of(db), COLS)) {
        let sql = format!(
            "INSERT INTO invoices (company_id, branch_id, subscriber_id, subscription_id, kind, status,
                 period, reason, dedupe_key, series, seq, number, issued_at, due_on, credit_of,
                 billing_run_id, net_poisha, sd_poisha, vat_poisha, rounding_poisha, total_poisha,
                 seller_name, seller_address, seller_bin, buyer_name, buyer_phone, buyer_address,
                 note, public_token, created_at)
             VALUES {}
             ON CONFLICT (company_id, dedupe_key) DO NOTHING
             RETURNING id, public_token",
            values_list(Backend::of(db), COLS, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (InvoiceId, String)>(sqlx::AssertSqlSafe(sql));
        for d in chunk {
            q = q
                .bind(company)
                .bind(d.branch_id)
                .bind(d.subscriber_id)
                .bind(d.subscription_id)
                .bind(d.kind)
                .bind(d.status)
                .bind(d.period.clone())
                .bind(d.reason.clone())
                .bind(d.dedupe_key.clone())
                .bind(d.series.clone())
                .bind(d.seq)
                .bind(d.number.clone())
                .bind(d.issued_at)
                .bind(d.due_on.clone())
                .bind(d.credit_of)
                .bind(d.billing_run_id)
                .bind(d.totals.net_poisha)
                .bind(d.totals.sd_poisha)
                .bind(d.totals.vat_poisha)
                .bind(d.totals.rounding_poisha)
                .bind(d.totals.total_poisha)
                .bind(d.seller.0.clone())
                .bind(d.seller.1.clone())
                .bind(d.seller.2.clone())
                .bind(d.buyer.0.clone())
                .bind(d.buyer.1.clone())
                .bind(d.buyer.2.clone())
                .bind(d.note.clone())
                .bind(d.public_token.clone())
                .bind(now);
        }
        // RETURNING has no order guarantee: the public token (unique) names each row.
        let returned: HashMap<String, InvoiceId> = q
            .fetch_all(&mut *db)
            .await?
            .into_iter()
            .map(|(id, token)| (token, id))
            .collect();
        ids.extend(chunk.iter().map(|d| returned.get(&d.public_token).copied()));
    }
    let mut lines = Vec::new();
    for (doc, id) in docs.iter().zip(&ids) {
        if let Some(id) = id {
            for (position, line) in doc.lines.iter().enumerate() {
                lines.push((*id, position as i64 + 1, line));
            }
        }
    }
    const LINE_COLS: usize = 21;
    for chunk in lines.chunks(batch_rows(Backend::of(db), LINE_COLS)) {
        let sql = format!(
            "INSERT INTO invoice_lines (company_id, invoice_id, position, subscription_id, item_kind,
                 item_ref, category, description, quantity, unit_price_poisha, from_on, to_on,
                 monthly_poisha, effect, net_poisha, sd_rate_bp, sd_poisha, vat_rate_bp, vat_poisha,
                 total_poisha, credits_line_id)
             VALUES {}",
            values_list(Backend::of(db), LINE_COLS, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (invoice, position, l) in chunk {
            q = q
                .bind(company)
                .bind(*invoice)
                .bind(*position)
                .bind(l.subscription_id)
                .bind(l.item_kind)
                .bind(l.item_ref)
                .bind(l.category.clone())
                .bind(l.description.clone())
                .bind(l.quantity)
                .bind(l.unit_price_poisha)
                .bind(l.from_on.map(|d| d.to_string()))
                .bind(l.to_on.map(|d| d.to_string()))
                .bind(l.monthly_poisha)
                .bind(l.effect)
                .bind(l.line.net_poisha)
                .bind(i64::from(l.sd_rate_bp))
                .bind(l.line.sd_poisha)
                .bind(i64::from(l.vat_rate_bp))
                .bind(l.line.vat_poisha)
                .bind(l.line.total())
                .bind(l.credits_line_id);
        }
        q.execute(&mut *db).await?;
    }
    Ok(ids)
}

/// The plan and discount lines already on this company's live (draft or finalised) documents
/// for `period`, of the subscriptions with ids in `lo..=hi`, by subscription: what
/// [`billing_core::charge::propose`] diffs against. `CROSS JOIN` makes SQLite start from the
/// lines' subscription range; joined the other way round it read every invoice of the period
/// for each batch, and a million-subscription run took quadratic time. PostgreSQL takes
/// either range, given statistics that know the tables are big ([`analyze`]).
pub async fn billed(
    db: &mut Db,
    company: CompanyId,
    period: &str,
    lo: SubscriptionId,
    hi: SubscriptionId,
) -> Result<HashMap<SubscriptionId, Vec<Billed>>> {
    let rows = sqlx::query(
        "SELECT l.id, l.subscription_id, l.item_kind, l.item_ref, l.monthly_poisha, l.from_on,
                l.to_on, l.effect, l.vat_rate_bp, l.sd_rate_bp
         FROM invoice_lines l CROSS JOIN invoices i
         WHERE i.id = l.invoice_id AND i.company_id = $1 AND i.period = $2 AND i.status <> 'voided'
           AND l.item_kind IN ('plan', 'discount')
           AND l.subscription_id BETWEEN $3 AND $4 AND i.subscription_id BETWEEN $3 AND $4
         ORDER BY l.id",
    )
    .bind(company)
    .bind(period)
    .bind(lo)
    .bind(hi)
    .fetch_all(&mut *db)
    .await?;
    let mut out: HashMap<SubscriptionId, Vec<Billed>> = HashMap::new();
    for row in rows {
        let kind: String = get(&row, "item_kind")?;
        let effect: i64 = get(&row, "effect")?;
        let subscription: SubscriptionId = get(&row, "subscription_id")?;
        let billed = Billed {
            line_id: get(&row, "id")?,
            key: ItemKey {
                kind: if kind == "discount" {
                    ItemKind::Discount
                } else {
                    ItemKind::Plan
                },
                ref_id: get(&row, "item_ref")?,
            },
            monthly_poisha: get(&row, "monthly_poisha")?,
            from: date_col(&row, "from_on")?,
            to: date_col(&row, "to_on")?,
            sign: if effect > 0 {
                Sign::Charge
            } else {
                Sign::Credit
            },
            vat_bp: u32::try_from(get::<i64>(&row, "vat_rate_bp")?).unwrap_or(0),
            sd_bp: u32::try_from(get::<i64>(&row, "sd_rate_bp")?).unwrap_or(0),
        };
        out.entry(subscription).or_default().push(billed);
    }
    Ok(out)
}

/// The periods of a subscription that have live documents, oldest first.
pub async fn billed_periods(
    db: &mut Db,
    company: CompanyId,
    subscription: SubscriptionId,
) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT period FROM invoices
         WHERE company_id = $1 AND subscription_id = $2 AND status <> 'voided' AND period IS NOT NULL
         ORDER BY period",
    )
    .bind(company)
    .bind(subscription)
    .fetch_all(&mut *db)
    .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// Refreshes PostgreSQL's statistics of the tables a run fills. Planned on the statistics of
/// an empty table, the run's lookups of what is already billed chose a scan of the whole
/// period (1.3 s a batch at 50,000 invoices); a run calls this each time its documents
/// double. SQLite plans without statistics.
pub async fn analyze(db: &mut Db) -> Result<()> {
    if Backend::of(db) == Backend::Postgres {
        sqlx::query("ANALYZE invoices, invoice_lines, journal_entries, journal_lines")
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Reserves `n` numbers of a series under its row lock; returns the first. The series row is
/// made on first use; the reservation is undone with the transaction, so numbers have no gaps.
pub async fn reserve_numbers(db: &mut Db, company: CompanyId, series: &str, n: i64) -> Result<i64> {
    sqlx::query(
        "INSERT INTO number_series (company_id, series, next_seq) VALUES ($1, $2, 1)
         ON CONFLICT (company_id, series) DO NOTHING",
    )
    .bind(company)
    .bind(series)
    .execute(&mut *db)
    .await?;
    let (next,): (i64,) = sqlx::query_as(
        "UPDATE number_series SET next_seq = next_seq + $1 WHERE company_id = $2 AND series = $3
         RETURNING next_seq",
    )
    .bind(n)
    .bind(company)
    .bind(series)
    .fetch_one(&mut *db)
    .await?;
    Ok(next - n)
}

/// Which documents a list shows.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InvoiceFilter {
    pub subscriber_id: Option<SubscriberId>,
    /// `YYYY-MM`.
    pub period: Option<String>,
    /// `draft`, `finalised` or `voided`.
    pub status: Option<String>,
    /// `invoice` or `credit_note`.
    pub kind: Option<String>,
    pub branch_id: Option<BranchId>,
    /// Only documents on a subscription to this plan.
    pub plan_id: Option<i64>,
    /// Only finalised invoices with something left to pay.
    pub unpaid: Option<bool>,
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
    /// 1 to 500; 50 when absent.
    pub limit: Option<i64>,
}

/// A page of the scope's documents, newest first, filtered. Each filter is a condition that is
/// off when its parameter is NULL; the range on the id stays the index's.
pub async fn list(work: &mut Work, f: &InvoiceFilter) -> Result<Paged<Invoice>> {
    let scope = work.scope();
    let page = PageQuery {
        after: None,
        before: f.before,
        limit: f.limit,
    };
    // One literal query per leading index: a subscriber's documents, a period's, or the
    // company's; the other filters narrow what that index range yields.
    macro_rules! list_query {
        ($lead:literal) => {
            concat!(
                "SELECT ",
                invoice_columns!(),
                " FROM invoices i WHERE company_id = $1 AND ",
                $lead,
                " AND id < $2
                   AND ($3 = -1 OR branch_id = $3)
                   AND ($4 IS NULL OR subscriber_id = $4)
                   AND ($5 IS NULL OR period = $5)
                   AND ($6 IS NULL OR status = $6)
                   AND ($7 IS NULL OR kind = $7)
                   AND ($8 IS NULL OR branch_id = $8)
                   AND ($9 IS NULL OR subscription_id IN (SELECT id FROM subscriptions WHERE company_id = $1 AND plan_id = $9))
                   AND ($10 = 0 OR (kind = 'invoice' AND status = 'finalised' AND total_poisha >
                         COALESCE((SELECT SUM(a.amount_poisha) FROM allocations a WHERE a.invoice_id = i.id), 0)))
                 ORDER BY id DESC LIMIT $11"
            )
        };
    }
    let sql = match (&f.subscriber_id, &f.period) {
        (Some(_), _) => list_query!("subscriber_id = $4"),
        (None, Some(_)) => list_query!("period = $5"),
        (None, None) => list_query!("1 = 1"),
    };
    let rows: Vec<Invoice> = sqlx::query_as(sql)
        .bind(scope.company())
        .bind(page.before())
        .bind(scope.branch_filter())
        .bind(f.subscriber_id)
        .bind(f.period.clone())
        .bind(f.status.clone())
        .bind(f.kind.clone())
        .bind(f.branch_id)
        .bind(f.plan_id)
        .bind(i64::from(f.unpaid.unwrap_or(false)))
        .bind(page.limit() + 1)
        .fetch_all(work.db())
        .await?;
    Ok(Paged::older(rows, &page, |i: &Invoice| i.id.0))
}

pub async fn get_invoice(work: &mut Work, id: InvoiceId) -> Result<Invoice> {
    let scope = work.scope();
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        invoice_columns!(),
        " FROM invoices WHERE id = $1 AND company_id = $2 AND ($3 = -1 OR branch_id = $3)"
    ))
    .bind(id)
    .bind(scope.company())
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?)
}

/// The document the QR code names, for the public payment page.
pub async fn by_token(db: &mut Db, token: &str) -> Result<Invoice> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        invoice_columns!(),
        " FROM invoices WHERE public_token = $1 AND status = 'finalised'"
    ))
    .bind(token)
    .fetch_one(&mut *db)
    .await?)
}

pub async fn lines(db: &mut Db, invoices: &[InvoiceId]) -> Result<Vec<InvoiceLine>> {
    let mut out = Vec::new();
    for chunk in invoices.chunks(batch_rows(Backend::of(db), 1)) {
        if chunk.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT {} FROM invoice_lines WHERE invoice_id IN ({}) ORDER BY invoice_id, position",
            line_columns!(),
            in_list(Backend::of(db), 1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, InvoiceLine>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(&mut *db).await?);
    }
    Ok(out)
}

/// Finalises a draft: its number and time of issue. `false` when it is no longer a draft
/// (someone finalised or discarded it first).
pub async fn mark_finalised(
    db: &mut Db,
    company: CompanyId,
    id: InvoiceId,
    series: &str,
    seq: i64,
    number: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE invoices SET status = 'finalised', series = $1, seq = $2, number = $3,
             issued_at = $4, finalised_at = $4
         WHERE id = $5 AND company_id = $6 AND status = 'draft'",
    )
    .bind(series)
    .bind(seq)
    .bind(number)
    .bind(now)
    .bind(id)
    .bind(company)
    .execute(&mut *db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Voids a finalised document and releases its dedupe key (so a corrected one may be issued).
pub async fn mark_voided(
    db: &mut Db,
    company: CompanyId,
    id: InvoiceId,
    reason: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE invoices SET status = 'voided', voided_at = $1, void_reason = $2, dedupe_key = NULL
         WHERE id = $3 AND company_id = $4 AND status = 'finalised'",
    )
    .bind(now)
    .bind(reason)
    .bind(id)
    .bind(company)
    .execute(&mut *db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Discards a draft (it was never a tax document): its lines and the row.
pub async fn delete_draft(db: &mut Db, company: CompanyId, id: InvoiceId) -> Result<bool> {
    sqlx::query(
        "DELETE FROM invoice_lines WHERE invoice_id = $1 AND company_id = $2
           AND EXISTS (SELECT 1 FROM invoices WHERE id = $1 AND status = 'draft')",
    )
    .bind(id)
    .bind(company)
    .execute(&mut *db)
    .await?;
    let done =
        sqlx::query("DELETE FROM invoices WHERE id = $1 AND company_id = $2 AND status = 'draft'")
            .bind(id)
            .bind(company)
            .execute(&mut *db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The drafts of a run, oldest first.
pub async fn drafts_of_run(
    db: &mut Db,
    company: CompanyId,
    run: BillingRunId,
    after: i64,
    limit: i64,
) -> Result<Vec<InvoiceId>> {
    let rows: Vec<(InvoiceId,)> = sqlx::query_as(
        "SELECT id FROM invoices WHERE company_id = $1 AND billing_run_id = $2 AND status = 'draft'
           AND id > $3 ORDER BY id LIMIT $4",
    )
    .bind(company)
    .bind(run)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *db)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// What has settled an invoice so far (advances, credit notes, payments).
pub async fn allocated(db: &mut Db, invoice: InvoiceId) -> Result<i64> {
    let (sum,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount_poisha), 0) AS BIGINT) FROM allocations WHERE invoice_id = $1",
    )
    .bind(invoice)
    .fetch_one(&mut *db)
    .await?;
    Ok(sum)
}

/// What credit notes have already given back on an invoice.
pub async fn credited(db: &mut Db, company: CompanyId, invoice: InvoiceId) -> Result<i64> {
    let (sum,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(total_poisha), 0) AS BIGINT) FROM invoices
         WHERE company_id = $1 AND credit_of = $2 AND kind = 'credit_note' AND status = 'finalised'",
    )
    .bind(company)
    .bind(invoice)
    .fetch_one(&mut *db)
    .await?;
    Ok(sum)
}

/// One allocation to write.
#[derive(Debug, Clone)]
pub struct NewAllocation {
    pub invoice_id: InvoiceId,
    pub source: &'static str,
    pub source_id: i64,
    pub entry_id: EntryId,
    pub amount_poisha: i64,
}

pub async fn allocate(
    db: &mut Db,
    company: CompanyId,
    allocations: &[NewAllocation],
    now: i64,
) -> Result<()> {
    const COLS: usize = 7;
    for chunk in allocations.chunks(batch_rows(Backend::of(db), COLS)) {
        let sql = format!(
            "INSERT INTO allocations (company_id, invoice_id, source, source_id, entry_id, amount_poisha, created_at)
             VALUES {}",
            values_list(Backend::of(db), COLS, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in chunk {
            q = q
                .bind(company)
                .bind(a.invoice_id)
                .bind(a.source)
                .bind(a.source_id)
                .bind(a.entry_id)
                .bind(a.amount_poisha)
                .bind(now);
        }
        q.execute(&mut *db).await?;
    }
    Ok(())
}

/// A billing run as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Run {
    pub id: BillingRunId,
    pub company_id: CompanyId,
    pub period: String,
    #[serde(serialize_with = "as_bool")]
    #[schema(value_type = bool)]
    pub dry_run: i64,
    pub actor: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// Subscriptions looked at.
    pub subscriptions: i64,
    pub invoices: i64,
    pub credit_notes: i64,
    /// Invoices less credit notes.
    pub total_poisha: i64,
    pub errors: String,
    /// Totals per plan and, for a dry run, how they differ from the previous period.
    #[schema(value_type = Object)]
    pub summary: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

fn as_bool<S: serde::Serializer>(v: &i64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_bool(*v != 0)
}

macro_rules! run_columns {
    () => {
        "id, company_id, period, dry_run, actor, status, subscriptions, invoices, credit_notes,
         total_poisha, errors, summary, started_at, finished_at"
    };
}

pub async fn start_run(
    db: &mut Db,
    company: CompanyId,
    period: &str,
    dry_run: bool,
    actor: &str,
    now: i64,
) -> Result<Run> {
    Ok(sqlx::query_as(concat!(
        "INSERT INTO billing_runs (company_id, period, dry_run, actor, status, started_at)
         VALUES ($1, $2, $3, $4, 'running', $5) RETURNING ",
        run_columns!()
    ))
    .bind(company)
    .bind(period)
    .bind(i64::from(dry_run))
    .bind(actor)
    .bind(now)
    .fetch_one(&mut *db)
    .await?)
}

#[allow(clippy::too_many_arguments)]
pub async fn finish_run(
    db: &mut Db,
    run: BillingRunId,
    status: &str,
    counts: (i64, i64, i64, i64),
    errors: &str,
    summary: &str,
    now: i64,
) -> Result<Run> {
    Ok(sqlx::query_as(concat!(
        "UPDATE billing_runs SET status = $1, subscriptions = $2, invoices = $3, credit_notes = $4,
             total_poisha = $5, errors = $6, summary = $7, finished_at = $8
         WHERE id = $9 RETURNING ",
        run_columns!()
    ))
    .bind(status)
    .bind(counts.0)
    .bind(counts.1)
    .bind(counts.2)
    .bind(counts.3)
    .bind(errors)
    .bind(summary)
    .bind(now)
    .bind(run)
    .fetch_one(&mut *db)
    .await?)
}

pub async fn run(db: &mut Db, company: CompanyId, id: BillingRunId) -> Result<Run> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        run_columns!(),
        " FROM billing_runs WHERE id = $1 AND company_id = $2"
    ))
    .bind(id)
    .bind(company)
    .fetch_one(&mut *db)
    .await?)
}

pub async fn runs(db: &mut Db, company: CompanyId, page: &PageQuery) -> Result<Paged<Run>> {
    let rows: Vec<Run> = sqlx::query_as(concat!(
        "SELECT ",
        run_columns!(),
        " FROM billing_runs WHERE company_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    ))
    .bind(company)
    .bind(page.before())
    .bind(page.limit() + 1)
    .fetch_all(&mut *db)
    .await?;
    Ok(Paged::older(rows, page, |r: &Run| r.id.0))
}

/// The newest period a real (not dry) run finished for.
pub async fn last_run_period(db: &mut Db, company: CompanyId) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT MAX(period) FROM billing_runs WHERE company_id = $1 AND dry_run = 0 AND status = 'done'",
    )
    .bind(company)
    .fetch_optional(&mut *db)
    .await?;
    Ok(row.and_then(|(p,)| p))
}

/// A document of a period as a run's summary counts it: 32 bytes a document, so a summary of
/// a million subscribers' two periods fits in about 64 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PeriodDoc {
    pub subscriber: SubscriberId,
    /// The plan of the document's subscription (0 for one-time charges).
    pub plan: i64,
    pub is_invoice: bool,
    /// Positive for an invoice, negative for a credit note.
    pub signed_poisha: i64,
}

/// A period's live invoices and credit notes, streamed into [`PeriodDoc`]s ordered by
/// subscriber.
pub async fn period_documents(
    db: &mut Db,
    company: CompanyId,
    period: &str,
) -> Result<Vec<PeriodDoc>> {
    use futures_util::TryStreamExt;
    let mut rows = sqlx::query_as::<_, (i64, i64, i64, i64)>(
        "SELECT i.subscriber_id, COALESCE(s.plan_id, 0),
             CASE WHEN i.kind = 'invoice' THEN 1 ELSE 0 END,
             CASE WHEN i.kind = 'invoice' THEN i.total_poisha ELSE -i.total_poisha END
         FROM invoices i LEFT JOIN subscriptions s ON s.id = i.subscription_id
         WHERE i.company_id = $1 AND i.period = $2 AND i.status <> 'voided'
         ORDER BY i.subscriber_id",
    )
    .bind(company)
    .bind(period)
    .fetch(&mut *db);
    let mut docs = Vec::new();
    while let Some((subscriber, plan, is_invoice, signed_poisha)) = rows.try_next().await? {
        docs.push(PeriodDoc {
            subscriber: SubscriberId(subscriber),
            plan,
            is_invoice: is_invoice == 1,
            signed_poisha,
        });
    }
    Ok(docs)
}

/// How many documents a subscriber has (any status).
pub async fn count_of_subscriber(
    db: &mut Db,
    company: CompanyId,
    subscriber: SubscriberId,
) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM invoices WHERE company_id = $1 AND subscriber_id = $2",
    )
    .bind(company)
    .bind(subscriber)
    .fetch_one(&mut *db)
    .await?;
    Ok(n)
}
