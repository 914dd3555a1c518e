//! The ledger's tables: the chart of accounts, journal entries and their lines, allocations.
//!
//! **Invariant: every money movement is a balanced entry written in the same transaction as the
//! document that causes it.** [`post`] refuses an entry whose postings do not sum to zero, and
//! writes entries in batches (a billing run posts thousands per transaction). Balances are
//! sums of lines, never a column beside them.

use crate::kernel::db::{batch_rows, get, in_list, values_list, Backend, Db, Result, StoreError};
use crate::kernel::ids::{AccountId, CompanyId, EntryId, SubscriberId};
use billing_core::posting::{Account, Posting};
use serde::Serialize;
use std::collections::HashMap;

/// The accounts of one company this unit of work has used, by code. Accounts are made the first
/// time something posts to them (a plan's revenue account on its first invoice).
#[derive(Debug, Default)]
pub struct Chart {
    company: Option<CompanyId>,
    ids: HashMap<String, AccountId>,
}

/// An account's kind, from its code (1 assets, 2 liabilities, 4 income, 5 expenses).
fn kind_of(code: &str) -> &'static str {
    match code.as_bytes().first() {
        Some(b'1') => "asset",
        Some(b'2') => "liability",
        Some(b'4') => "income",
        _ => "expense",
    }
}

impl Chart {
    /// The company's chart as it stands.
    pub async fn load(db: &mut Db, company: CompanyId) -> Result<Chart> {
        let rows: Vec<(AccountId, String)> =
            sqlx::query_as("SELECT id, code FROM accounts WHERE company_id = $1")
                .bind(company)
                .fetch_all(&mut *db)
                .await?;
        Ok(Chart {
            company: Some(company),
            ids: rows.into_iter().map(|(id, code)| (code, id)).collect(),
        })
    }

    /// The id of `account`, made now if the company has none yet; `names` overrides the
    /// generic names (a plan's revenue account is named after the plan).
    pub async fn id(
        &mut self,
        db: &mut Db,
        account: &Account,
        names: Option<(&str, &str)>,
    ) -> Result<AccountId> {
        let code = account.code();
        if let Some(id) = self.ids.get(&code) {
            return Ok(*id);
        }
        let company = self.company.ok_or(StoreError::NotFound)?;
        let (en, bn) = match names {
            Some((en, bn)) => (en.to_owned(), bn.to_owned()),
            None => (account.name_en(), account.name_bn()),
        };
        sqlx::query(
            "INSERT INTO accounts (company_id, code, name_en, name_bn, kind) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (company_id, code) DO NOTHING",
        )
        .bind(company)
        .bind(&code)
        .bind(&en)
        .bind(&bn)
        .bind(kind_of(&code))
        .execute(&mut *db)
        .await?;
        let (id,): (AccountId,) =
            sqlx::query_as("SELECT id FROM accounts WHERE company_id = $1 AND code = $2")
                .bind(company)
                .bind(&code)
                .fetch_one(&mut *db)
                .await?;
        self.ids.insert(code, id);
        Ok(id)
    }

    pub fn company(&self) -> Option<CompanyId> {
        self.company
    }
}

/// An entry to post.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// What caused it: `invoice`, `credit_note`, `void`, `advance`, …
    pub kind: &'static str,
    pub document_id: i64,
    /// The Dhaka business day, `YYYY-MM-DD`.
    pub posted_on: String,
    pub memo: String,
    pub postings: Vec<Posting>,
}

/// Posts `entries` for the chart's company, in the caller's transaction; returns each entry's
/// id in order. An entry that does not balance, or has fewer than two postings, is refused
/// before anything is written.
pub async fn post(
    db: &mut Db,
    chart: &mut Chart,
    entries: &[NewEntry],
    actor: &str,
    now: i64,
) -> Result<Vec<EntryId>> {
    let company = chart.company.ok_or(StoreError::NotFound)?;
    for entry in entries {
        if entry.postings.len() < 2 || !billing_core::posting::is_balanced(&entry.postings) {
            return Err(StoreError::Unbalanced(entry.kind, entry.document_id));
        }
    }
    let mut ids = Vec::with_capacity(entries.len());
    for chunk in entries.chunks(batch_rows(Backend::of(db), 7)) {
        let sql = format!(
            "INSERT INTO journal_entries (company_id, posted_on, posted_at, kind, document_id, memo, actor)
             VALUES {} RETURNING id, kind, document_id",
            values_list(Backend::of(db), 7, chunk.len())
        );
        let mut query = sqlx::query_as::<_, (EntryId, String, i64)>(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            query = query
                .bind(company)
                .bind(&e.posted_on)
                .bind(now)
                .bind(e.kind)
                .bind(e.document_id)
                .bind(&e.memo)
                .bind(actor);
        }
        // RETURNING gives no order guarantee: match rows by (kind, document), unique per company.
        let returned: HashMap<(String, i64), EntryId> = query
            .fetch_all(&mut *db)
            .await?
            .into_iter()
            .map(|(id, kind, doc)| ((kind, doc), id))
            .collect();
        for e in chunk {
            ids.push(
                *returned
                    .get(&(e.kind.to_owned(), e.document_id))
                    .ok_or(StoreError::NotFound)?,
            );
        }
    }
    let mut lines = Vec::new();
    for (entry, id) in entries.iter().zip(&ids) {
        for p in &entry.postings {
            let account = chart.id(db, &p.account, None).await?;
            lines.push((*id, account, p.subscriber_id, p.amount_poisha));
        }
    }
    for chunk in lines.chunks(batch_rows(Backend::of(db), 5)) {
        let sql = format!(
            "INSERT INTO journal_lines (company_id, entry_id, account_id, subscriber_id, amount_poisha) VALUES {}",
            values_list(Backend::of(db), 5, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (entry, account, subscriber, amount) in chunk {
            query = query
                .bind(company)
                .bind(*entry)
                .bind(*account)
                .bind(*subscriber)
                .bind(*amount);
        }
        query.execute(&mut *db).await?;
    }
    Ok(ids)
}

/// The entry a document caused, if any.
pub async fn entry_of(
    db: &mut Db,
    company: CompanyId,
    kind: &str,
    document_id: i64,
) -> Result<Option<EntryId>> {
    let row: Option<(EntryId,)> = sqlx::query_as(
        "SELECT id FROM journal_entries WHERE company_id = $1 AND kind = $2 AND document_id = $3",
    )
    .bind(company)
    .bind(kind)
    .bind(document_id)
    .fetch_optional(&mut *db)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// A subscriber's position: what they owe (receivable, positive) and what they have ahead
/// (advance, positive when the company holds money for them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Balance {
    pub receivable_poisha: i64,
    pub advance_poisha: i64,
}

impl Balance {
    /// What the subscriber owes after their advance: negative when they are in credit.
    pub fn net_poisha(&self) -> i64 {
        self.receivable_poisha - self.advance_poisha
    }
}

/// The receivable and advance balances of `subscribers` (absent ones have none).
pub async fn balances(
    db: &mut Db,
    company: CompanyId,
    subscribers: &[SubscriberId],
) -> Result<HashMap<SubscriberId, Balance>> {
    let mut out: HashMap<SubscriberId, Balance> = HashMap::new();
    for chunk in subscribers.chunks(batch_rows(Backend::of(db), 1) - 1) {
        let sql = format!(
            "SELECT l.subscriber_id, a.code, CAST(SUM(l.amount_poisha) AS BIGINT) AS balance
             FROM journal_lines l JOIN accounts a ON a.id = l.account_id
             WHERE l.company_id = $1 AND a.code IN ('1100', '2200') AND l.subscriber_id IN ({})
             GROUP BY l.subscriber_id, a.code",
            in_list(Backend::of(db), 2, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(company);
        for s in chunk {
            query = query.bind(*s);
        }
        for row in query.fetch_all(&mut *db).await? {
            let subscriber: SubscriberId = get(&row, "subscriber_id")?;
            let code: String = get(&row, "code")?;
            let balance: i64 = get(&row, "balance")?;
            let entry = out.entry(subscriber).or_default();
            if code == "1100" {
                entry.receivable_poisha = balance;
            } else {
                // A liability: credits are negative, the money held is their negation.
                entry.advance_poisha = -balance;
            }
        }
    }
    Ok(out)
}

/// One account's balance, debits positive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TrialRow {
    pub account: String,
    pub name_en: String,
    pub name_bn: String,
    pub kind: String,
    pub balance_poisha: i64,
}

/// Every account of the company with its balance (debits positive); the balances sum to zero.
pub async fn trial_balance(db: &mut Db, company: CompanyId) -> Result<Vec<TrialRow>> {
    Ok(sqlx::query_as(
        "SELECT a.code AS account, a.name_en, a.name_bn, a.kind,
                CAST(COALESCE(SUM(l.amount_poisha), 0) AS BIGINT) AS balance_poisha
         FROM accounts a LEFT JOIN journal_lines l ON l.account_id = a.id AND l.company_id = a.company_id
         WHERE a.company_id = $1
         GROUP BY a.code, a.name_en, a.name_bn, a.kind ORDER BY a.code",
    )
    .bind(company)
    .fetch_all(&mut *db)
    .await?)
}

/// VAT and SD that invoices (less credit notes and voids) made payable, per Dhaka month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct VatMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub vat_poisha: i64,
    pub sd_poisha: i64,
}

pub async fn vat_by_month(db: &mut Db, company: CompanyId) -> Result<Vec<VatMonth>> {
    Ok(sqlx::query_as(
        "SELECT SUBSTR(e.posted_on, 1, 7) AS month,
                CAST(-COALESCE(SUM(CASE WHEN a.code = '2100' THEN l.amount_poisha END), 0) AS BIGINT) AS vat_poisha,
                CAST(-COALESCE(SUM(CASE WHEN a.code = '2110' THEN l.amount_poisha END), 0) AS BIGINT) AS sd_poisha
         FROM journal_lines l
         JOIN journal_entries e ON e.id = l.entry_id
         JOIN accounts a ON a.id = l.account_id
         WHERE l.company_id = $1 AND a.code IN ('2100', '2110')
         GROUP BY SUBSTR(e.posted_on, 1, 7) ORDER BY month",
    )
    .bind(company)
    .fetch_all(&mut *db)
    .await?)
}

/// One movement on a subscriber's statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StatementRow {
    pub entry_id: EntryId,
    pub posted_on: String,
    pub kind: String,
    pub document_id: i64,
    pub memo: String,
    /// What it did to what the subscriber owes: positive charges them, negative credits them.
    pub amount_poisha: i64,
    /// What they owe after it (negative: in credit).
    #[sqlx(default)]
    pub balance_poisha: i64,
}

/// Every movement on a subscriber's receivable and advance, oldest first, with the running
/// balance.
pub async fn statement(
    db: &mut Db,
    company: CompanyId,
    subscriber: SubscriberId,
) -> Result<Vec<StatementRow>> {
    let mut rows: Vec<StatementRow> = sqlx::query_as(
        "SELECT e.id AS entry_id, e.posted_on, e.kind, e.document_id, e.memo,
                CAST(SUM(l.amount_poisha) AS BIGINT) AS amount_poisha, CAST(0 AS BIGINT) AS balance_poisha
         FROM journal_lines l
         JOIN journal_entries e ON e.id = l.entry_id
         JOIN accounts a ON a.id = l.account_id
         WHERE l.company_id = $1 AND l.subscriber_id = $2 AND a.code IN ('1100', '2200')
         GROUP BY e.id, e.posted_on, e.kind, e.document_id, e.memo
         ORDER BY e.id",
    )
    .bind(company)
    .bind(subscriber)
    .fetch_all(&mut *db)
    .await?;
    let mut balance = 0;
    for row in &mut rows {
        balance += row.amount_poisha;
        row.balance_poisha = balance;
    }
    Ok(rows)
}

/// What `verify-ledger` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub entries: i64,
    pub lines: i64,
    /// Each problem in words; empty when the books are sound.
    pub problems: Vec<String>,
}

/// Checks the whole ledger: every entry balances and has at least two lines; every finalised
/// or voided document has its entry (and a void its reversal) whose receivable side equals the
/// document's total; no entry points at a document that does not exist; nothing allocates more
/// than an invoice's total; every company's trial balance sums to zero.
pub async fn verify(db: &mut Db) -> Result<Report> {
    let mut report = Report::default();
    (report.entries,) = sqlx::query_as("SELECT COUNT(*) FROM journal_entries")
        .fetch_one(&mut *db)
        .await?;
    (report.lines,) = sqlx::query_as("SELECT COUNT(*) FROM journal_lines")
        .fetch_one(&mut *db)
        .await?;
    let unbalanced: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT e.company_id, e.id, CAST(COALESCE(SUM(l.amount_poisha), 0) AS BIGINT), COUNT(l.id)
         FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id
         GROUP BY e.company_id, e.id
         HAVING COALESCE(SUM(l.amount_poisha), 0) <> 0 OR COUNT(l.id) < 2 ORDER BY e.id",
    )
    .fetch_all(&mut *db)
    .await?;
    for (company, entry, sum, lines) in unbalanced {
        report.problems.push(format!(
            "company {company}: entry {entry} has {lines} lines summing to {sum} poisha"
        ));
    }
    let missing: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT i.company_id, i.id, i.kind, i.status FROM invoices i
         WHERE i.status IN ('finalised', 'voided')
           AND (NOT EXISTS (SELECT 1 FROM journal_entries e
                            WHERE e.company_id = i.company_id AND e.kind = i.kind AND e.document_id = i.id)
                OR (i.status = 'voided' AND NOT EXISTS (SELECT 1 FROM journal_entries e
                            WHERE e.company_id = i.company_id AND e.kind = 'void' AND e.document_id = i.id)))
         ORDER BY i.id",
    )
    .fetch_all(&mut *db)
    .await?;
    for (company, id, kind, status) in missing {
        report.problems.push(format!(
            "company {company}: {status} {kind} {id} lacks its ledger entry"
        ));
    }
    let mismatched: Vec<(i64, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT i.company_id, i.id, e.kind, i.total_poisha, CAST(SUM(l.amount_poisha) AS BIGINT)
         FROM invoices i
         JOIN journal_entries e ON e.company_id = i.company_id AND e.document_id = i.id
              AND e.kind IN ('invoice', 'credit_note', 'void')
         JOIN journal_lines l ON l.entry_id = e.id
         JOIN accounts a ON a.id = l.account_id
         WHERE a.code IN ('1100', '2200')
         GROUP BY i.company_id, i.id, i.kind, e.kind, i.total_poisha
         HAVING SUM(l.amount_poisha) <> CASE
             WHEN (i.kind = 'invoice') = (e.kind <> 'void') THEN i.total_poisha
             ELSE -i.total_poisha END
         ORDER BY i.id",
    )
    .fetch_all(&mut *db)
    .await?;
    for (company, id, kind, total, posted) in mismatched {
        report.problems.push(format!(
            "company {company}: the {kind} entry of document {id} moves {posted} poisha for a total of {total}"
        ));
    }
    let orphans: Vec<(i64, i64, String, i64)> = sqlx::query_as(
        "SELECT e.company_id, e.id, e.kind, e.document_id FROM journal_entries e
         WHERE e.kind IN ('invoice', 'credit_note', 'void', 'advance')
           AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.company_id = e.company_id AND i.id = e.document_id)
         ORDER BY e.id",
    )
    .fetch_all(&mut *db)
    .await?;
    for (company, entry, kind, document) in orphans {
        report.problems.push(format!(
            "company {company}: {kind} entry {entry} points at document {document}, which does not exist"
        ));
    }
    let over: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT i.company_id, i.id, i.total_poisha, CAST(SUM(a.amount_poisha) AS BIGINT) FROM invoices i
         JOIN allocations a ON a.invoice_id = i.id
         GROUP BY i.company_id, i.id, i.total_poisha HAVING SUM(a.amount_poisha) > i.total_poisha
         ORDER BY i.id",
    )
    .fetch_all(&mut *db)
    .await?;
    for (company, id, total, allocated) in over {
        report.problems.push(format!(
            "company {company}: invoice {id} has {allocated} poisha allocated against a total of {total}"
        ));
    }
    let trial: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT company_id, CAST(SUM(amount_poisha) AS BIGINT) FROM journal_lines GROUP BY company_id
         HAVING SUM(amount_poisha) <> 0 ORDER BY company_id",
    )
    .fetch_all(&mut *db)
    .await?;
    for (company, sum) in trial {
        report.problems.push(format!(
            "company {company}: the trial balance sums to {sum} poisha, not zero"
        ));
    }
    Ok(report)
}

/// Posts the exact reversal of `entry` as a new entry of `kind` (a void).
#[allow(clippy::too_many_arguments)]
pub async fn reverse(
    db: &mut Db,
    company: CompanyId,
    entry: EntryId,
    kind: &'static str,
    document_id: i64,
    posted_on: &str,
    memo: &str,
    actor: &str,
    now: i64,
) -> Result<EntryId> {
    let (id,): (EntryId,) = sqlx::query_as(
        "INSERT INTO journal_entries (company_id, posted_on, posted_at, kind, document_id, memo, actor)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(company)
    .bind(posted_on)
    .bind(now)
    .bind(kind)
    .bind(document_id)
    .bind(memo)
    .bind(actor)
    .fetch_one(&mut *db)
    .await?;
    sqlx::query(
        "INSERT INTO journal_lines (company_id, entry_id, account_id, subscriber_id, amount_poisha)
         SELECT company_id, $1, account_id, subscriber_id, -amount_poisha FROM journal_lines
         WHERE company_id = $2 AND entry_id = $3 ORDER BY id",
    )
    .bind(id)
    .bind(company)
    .bind(entry)
    .execute(&mut *db)
    .await?;
    Ok(id)
}
