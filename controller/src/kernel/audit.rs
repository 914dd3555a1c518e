//! The audit log: append-only, one hash chain per company. Each entry's hash covers its fields
//! and the previous entry's hash in the same chain, so changing, removing or reordering an entry
//! breaks every later hash of that company; [`verify`] finds the first broken link in each.
//!
//! Entries are appended inside the transaction of the change they record (`Work::audit`), so a
//! change and its entry commit together or not at all. The chain head lives in `audit_chains`;
//! appending updates that one row first, which makes appenders of the same company, in any
//! replica, take turns (a row lock on PostgreSQL, the write lock on SQLite), while other
//! companies proceed. A unique `(chain, prev_hash)` makes a fork impossible regardless.

use super::db::{get, now_ms, Db, Result};
use super::http::list::{PageQuery, Paged};
use super::ids::{BranchId, CompanyId, UserId};
use super::scope::{Actor, Scope};
use ring::digest::{digest, SHA256};
use serde::Serialize;
use sqlx::any::AnyRow;

/// Hash of the (absent) entry before the first of a chain.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The chain entries were written in before there was one per company (verified as one chain).
const LEGACY_CHAIN: i64 = -1;

/// What happened, by whom, from where.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    pub company_id: Option<CompanyId>,
    pub branch_id: Option<BranchId>,
    pub actor_user_id: Option<UserId>,
    /// [`Actor::label`].
    pub actor: String,
    /// e.g. `branch.create`, `auth.login_failed`.
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub ip: String,
    pub user_agent: String,
}

impl NewEntry {
    /// An entry by `actor`; the rest filled in by the caller.
    pub fn by(actor: &Actor, action: &str, entity: &str, entity_id: impl ToString) -> NewEntry {
        NewEntry {
            actor_user_id: actor.user(),
            actor: actor.label(),
            action: action.into(),
            entity: entity.into(),
            entity_id: entity_id.to_string(),
            ..NewEntry::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub company_id: Option<CompanyId>,
    pub branch_id: Option<BranchId>,
    pub actor_user_id: Option<UserId>,
    /// `user`, `token:<id>`, `agent:<router id>`, `system:<job>`, or empty.
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub ip: String,
    pub user_agent: String,
    pub hash: String,
}

fn chain_of(company: Option<CompanyId>) -> i64 {
    company.map_or(0, |c| c.0)
}

/// The hash of an entry: unit separators keep field boundaries unambiguous. Entries of the
/// legacy chain were hashed without the chain, actor and branch.
fn hash(chain: i64, prev: &str, at: i64, e: &NewEntry, before: &str, after: &str) -> String {
    let opt = |v: Option<i64>| v.map_or(String::new(), |v| v.to_string());
    let mut fields = vec![
        prev.to_owned(),
        at.to_string(),
        opt(e.company_id.map(|c| c.0)),
        opt(e.actor_user_id.map(|u| u.0)),
        e.action.clone(),
        e.entity.clone(),
        e.entity_id.clone(),
        before.to_owned(),
        after.to_owned(),
        e.ip.clone(),
        e.user_agent.clone(),
    ];
    if chain != LEGACY_CHAIN {
        fields.extend([
            chain.to_string(),
            e.actor.clone(),
            opt(e.branch_id.map(|b| b.0)),
        ]);
    }
    protocol::encoding::hex(digest(&SHA256, fields.join("\u{1f}").as_bytes()).as_ref())
}

/// Appends one entry to its company's chain, on `db` (the caller's transaction).
pub async fn append(db: &mut Db, entry: &NewEntry) -> Result<i64> {
    let chain = chain_of(entry.company_id);
    // Taking the chain's row first serialises appenders of this company.
    let head = sqlx::query(
        "INSERT INTO audit_chains (chain, last_hash, appends) VALUES ($1, $2, 1)
         ON CONFLICT (chain) DO UPDATE SET appends = audit_chains.appends + 1
         RETURNING last_hash",
    )
    .bind(chain)
    .bind(GENESIS)
    .fetch_one(&mut *db)
    .await?;
    let prev: String = get(&head, "last_hash")?;
    let at = now_ms();
    let (before, after) = (entry.before.to_string(), entry.after.to_string());
    let hash = hash(chain, &prev, at, entry, &before, &after);
    let row = sqlx::query(
        "INSERT INTO audit_log (at, company_id, branch_id, actor_user_id, actor, action, entity, entity_id,
             before_json, after_json, ip, user_agent, chain, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(at)
    .bind(entry.company_id)
    .bind(entry.branch_id)
    .bind(entry.actor_user_id)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.entity)
    .bind(&entry.entity_id)
    .bind(&before)
    .bind(&after)
    .bind(&entry.ip)
    .bind(&entry.user_agent)
    .bind(chain)
    .bind(&prev)
    .bind(&hash)
    .fetch_one(&mut *db)
    .await?;
    sqlx::query("UPDATE audit_chains SET last_hash = $1 WHERE chain = $2")
        .bind(&hash)
        .bind(chain)
        .execute(&mut *db)
        .await?;
    get(&row, "id")
}

/// Appends one entry in a transaction of its own: for events that are not part of a change
/// (sign-in attempts, refused agent messages).
pub async fn append_alone(store: &super::db::Store, entry: &NewEntry) -> Result<i64> {
    let mut tx = store.begin().await?;
    let id = append(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// Columns of an audit row; a macro so queries stay string literals.
macro_rules! columns {
    () => {
        "id, at, company_id, branch_id, actor_user_id, actor, action, entity, entity_id, before_json,
         after_json, ip, user_agent, chain, prev_hash, hash"
    };
}

struct Stored {
    entry: Entry,
    chain: i64,
    prev_hash: String,
    before_json: String,
    after_json: String,
}

fn from_row(row: &AnyRow) -> Result<Stored> {
    let parse = |s: &str| {
        serde_json::from_str(s).unwrap_or_else(|_| serde_json::Value::String(s.to_owned()))
    };
    let before_json: String = get(row, "before_json")?;
    let after_json: String = get(row, "after_json")?;
    Ok(Stored {
        entry: Entry {
            id: get(row, "id")?,
            at: get(row, "at")?,
            company_id: get(row, "company_id")?,
            branch_id: get(row, "branch_id")?,
            actor_user_id: get(row, "actor_user_id")?,
            actor: get(row, "actor")?,
            action: get(row, "action")?,
            entity: get(row, "entity")?,
            entity_id: get(row, "entity_id")?,
            before: parse(&before_json),
            after: parse(&after_json),
            ip: get(row, "ip")?,
            user_agent: get(row, "user_agent")?,
            hash: get(row, "hash")?,
        },
        chain: get(row, "chain")?,
        prev_hash: get(row, "prev_hash")?,
        before_json,
        after_json,
    })
}

/// Which entries to show; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// `auth.` matches every sign-in event. `%` and `_` are taken literally.
    pub action_prefix: String,
    pub entity: String,
    pub entity_id: String,
    pub actor: Option<UserId>,
    /// UTC milliseconds, inclusive.
    pub from: Option<i64>,
    /// UTC milliseconds, exclusive.
    pub until: Option<i64>,
}

/// The scope's entries matching `filter`, newest first, a page below `page.before`.
/// Branch-limited staff see their branch's entries and their own.
pub async fn list(
    db: &mut Db,
    scope: &Scope,
    viewer: Option<UserId>,
    filter: &Filter,
    page: &PageQuery,
) -> Result<Paged<Entry>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM audit_log WHERE company_id = $1 AND id < $2 AND action LIKE $3 ESCAPE '!'
         AND ($4 = '' OR entity = $4) AND ($5 = '' OR entity_id = $5) AND ($6 = -1 OR actor_user_id = $6)
         AND at >= $7 AND at < $8 AND ($10 = -1 OR branch_id = $10 OR actor_user_id = $11)
         ORDER BY id DESC LIMIT $9"
    ))
    .bind(scope.company())
    .bind(page.before())
    .bind(format!("{}%", like_literal(&filter.action_prefix)))
    .bind(&filter.entity)
    .bind(&filter.entity_id)
    .bind(filter.actor.map_or(-1, |a| a.0))
    .bind(filter.from.unwrap_or(i64::MIN))
    .bind(filter.until.unwrap_or(i64::MAX))
    .bind(page.limit() + 1)
    .bind(scope.branch_filter())
    .bind(viewer.map_or(-1, |u| u.0))
    .fetch_all(&mut *db)
    .await?;
    let entries = rows
        .iter()
        .map(|r| from_row(r).map(|s| s.entry))
        .collect::<Result<Vec<_>>>()?;
    Ok(Paged::older(entries, page, |e| e.id))
}

/// `text` for a `LIKE … ESCAPE '!'` pattern that matches it literally.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

/// Where a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {id}: {problem}")]
pub struct BrokenChain {
    pub id: i64,
    pub problem: &'static str,
}

/// Recomputes every chain (the legacy one, then each company's); returns the entries checked.
pub async fn verify(db: &mut Db) -> Result<std::result::Result<u64, BrokenChain>> {
    let chains: Vec<i64> = sqlx::query("SELECT DISTINCT chain FROM audit_log ORDER BY chain")
        .fetch_all(&mut *db)
        .await?
        .iter()
        .map(|r| get(r, "chain"))
        .collect::<Result<_>>()?;
    let mut checked = 0;
    for chain in chains {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM audit_log WHERE chain = $1 ORDER BY id"
        ))
        .bind(chain)
        .fetch_all(&mut *db)
        .await?;
        let mut prev = GENESIS.to_owned();
        for row in &rows {
            let stored = from_row(row)?;
            let entry = &stored.entry;
            if stored.prev_hash != prev {
                return Ok(Err(BrokenChain {
                    id: entry.id,
                    problem: "does not follow the entry before it",
                }));
            }
            let fields = NewEntry {
                company_id: entry.company_id,
                branch_id: entry.branch_id,
                actor_user_id: entry.actor_user_id,
                actor: entry.actor.clone(),
                action: entry.action.clone(),
                entity: entry.entity.clone(),
                entity_id: entry.entity_id.clone(),
                ip: entry.ip.clone(),
                user_agent: entry.user_agent.clone(),
                ..NewEntry::default()
            };
            let expected = hash(
                stored.chain,
                &prev,
                entry.at,
                &fields,
                &stored.before_json,
                &stored.after_json,
            );
            if expected != entry.hash {
                return Ok(Err(BrokenChain {
                    id: entry.id,
                    problem: "its content was changed",
                }));
            }
            prev = entry.hash.clone();
        }
        checked += rows.len() as u64;
        if chain != LEGACY_CHAIN {
            let head = sqlx::query("SELECT last_hash FROM audit_chains WHERE chain = $1")
                .bind(chain)
                .fetch_optional(&mut *db)
                .await?;
            let head: Option<String> = head.map(|r| get(&r, "last_hash")).transpose()?;
            if head.as_deref() != Some(prev.as_str()) {
                return Ok(Err(BrokenChain {
                    id: rows.last().map_or(0, |r| get(r, "id").unwrap_or(0)),
                    problem: "entries after it were removed",
                }));
            }
        }
    }
    Ok(Ok(checked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(like_literal("auth."), "auth.");
        assert_eq!(like_literal("50%_off!"), "50!%!_off!!");
    }

    #[test]
    fn hash_depends_on_every_field_and_the_previous_hash() {
        let e = NewEntry {
            action: "branch.create".into(),
            entity: "branch".into(),
            entity_id: "1".into(),
            ..NewEntry::default()
        };
        let base = hash(1, GENESIS, 1, &e, "{}", "{}");
        assert_ne!(base, hash(1, "ff", 1, &e, "{}", "{}"));
        assert_ne!(base, hash(1, GENESIS, 2, &e, "{}", "{}"));
        assert_ne!(base, hash(2, GENESIS, 1, &e, "{}", "{}"), "chain");
        assert_ne!(base, hash(1, GENESIS, 1, &e, "{}", "{\"name\":\"x\"}"));
        for other in [
            NewEntry {
                ip: "10.0.0.1".into(),
                ..e.clone()
            },
            NewEntry {
                actor: "system:dunning".into(),
                ..e.clone()
            },
            NewEntry {
                branch_id: Some(BranchId(3)),
                ..e.clone()
            },
        ] {
            assert_ne!(base, hash(1, GENESIS, 1, &other, "{}", "{}"));
        }
    }
}
