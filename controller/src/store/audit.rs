//! The audit log: append-only and hash-chained. Each entry's hash covers its fields and the
//! previous entry's hash, so changing, removing or reordering any entry breaks every later hash;
//! [`verify`] finds the first broken link.

use super::{get_i64, get_opt_i64, get_string, now_ms, CompanyId, Result, Store, Tenant, UserId};
use ring::digest::{digest, SHA256};
use serde::Serialize;
use sqlx::any::AnyRow;

/// Hash of the (absent) entry before the first.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, by whom, from where.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    pub company_id: Option<CompanyId>,
    pub actor: Option<UserId>,
    /// e.g. `branch.create`, `auth.login_failed`.
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub ip: String,
    pub user_agent: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub company_id: Option<CompanyId>,
    pub actor_user_id: Option<UserId>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub ip: String,
    pub user_agent: String,
    pub hash: String,
}

fn hash(prev: &str, at: i64, e: &NewEntry, before: &str, after: &str) -> String {
    // Unit separators keep field boundaries unambiguous.
    let text = [
        prev,
        &at.to_string(),
        &e.company_id.map_or(String::new(), |c| c.to_string()),
        &e.actor.map_or(String::new(), |u| u.to_string()),
        &e.action,
        &e.entity,
        &e.entity_id,
        before,
        after,
        &e.ip,
        &e.user_agent,
    ]
    .join("\u{1f}");
    digest(&SHA256, text.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Appends one entry to the chain. The first statement updates the single `audit_chain_lock`
/// row, which makes every appender, in this process or another replica, wait for the one
/// before it to commit (a row lock on PostgreSQL, the write lock on SQLite); so each entry links
/// to the true last one. The unique index on `prev_hash` refuses a fork regardless.
pub async fn append(store: &Store, entry: NewEntry) -> Result<i64> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE audit_chain_lock SET appends = appends + 1 WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    let prev = sqlx::query("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    let prev = match prev {
        Some(row) => get_string(&row, "hash")?,
        None => GENESIS.to_owned(),
    };
    let at = now_ms();
    let (before, after) = (entry.before.to_string(), entry.after.to_string());
    let hash = hash(&prev, at, &entry, &before, &after);
    let row = sqlx::query(
        "INSERT INTO audit_log (at, company_id, actor_user_id, action, entity, entity_id, before_json, after_json,
             ip, user_agent, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(at)
    .bind(entry.company_id.map(|c| c.0))
    .bind(entry.actor.map(|u| u.0))
    .bind(&entry.action)
    .bind(&entry.entity)
    .bind(&entry.entity_id)
    .bind(&before)
    .bind(&after)
    .bind(&entry.ip)
    .bind(&entry.user_agent)
    .bind(&prev)
    .bind(&hash)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    get_i64(&row, "id")
}

/// Columns of an audit row; a macro so queries stay string literals.
macro_rules! columns {
    () => {
        "id, at, company_id, actor_user_id, action, entity, entity_id, before_json, after_json, ip, user_agent, prev_hash, hash"
    };
}

fn from_row(row: &AnyRow) -> Result<(Entry, String)> {
    let parse = |s: String| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s));
    Ok((
        Entry {
            id: get_i64(row, "id")?,
            at: get_i64(row, "at")?,
            company_id: get_opt_i64(row, "company_id")?.map(CompanyId),
            actor_user_id: get_opt_i64(row, "actor_user_id")?.map(UserId),
            action: get_string(row, "action")?,
            entity: get_string(row, "entity")?,
            entity_id: get_string(row, "entity_id")?,
            before: parse(get_string(row, "before_json")?),
            after: parse(get_string(row, "after_json")?),
            ip: get_string(row, "ip")?,
            user_agent: get_string(row, "user_agent")?,
            hash: get_string(row, "hash")?,
        },
        get_string(row, "prev_hash")?,
    ))
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

/// The tenant's entries matching `filter`, newest first, `limit` of them below `before_id`.
pub async fn list(
    store: &Store,
    tenant: &Tenant,
    filter: &Filter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM audit_log WHERE company_id = $1 AND id < $2 AND action LIKE $3 ESCAPE '!'
         AND ($4 = '' OR entity = $4) AND ($5 = '' OR entity_id = $5) AND ($6 = -1 OR actor_user_id = $6)
         AND at >= $7 AND at < $8 ORDER BY id DESC LIMIT $9"
    ))
    .bind(tenant.company.0)
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(format!("{}%", like_literal(&filter.action_prefix)))
    .bind(&filter.entity)
    .bind(&filter.entity_id)
    .bind(filter.actor.map_or(-1, |a| a.0))
    .bind(filter.from.unwrap_or(i64::MIN))
    .bind(filter.until.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(|r| from_row(r).map(|(e, _)| e)).collect()
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

/// Where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {id}: {problem}")]
pub struct BrokenChain {
    pub id: i64,
    pub problem: &'static str,
}

/// Recomputes the whole chain; returns the number of entries checked.
pub async fn verify(store: &Store) -> Result<std::result::Result<u64, BrokenChain>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM audit_log ORDER BY id"
    ))
    .fetch_all(store.pool())
    .await?;
    let mut prev = GENESIS.to_owned();
    for row in &rows {
        let before_json = get_string(row, "before_json")?;
        let after_json = get_string(row, "after_json")?;
        let (entry, stored_prev) = from_row(row)?;
        if stored_prev != prev {
            return Ok(Err(BrokenChain {
                id: entry.id,
                problem: "does not follow the entry before it",
            }));
        }
        let fields = NewEntry {
            company_id: entry.company_id,
            actor: entry.actor_user_id,
            action: entry.action.clone(),
            entity: entry.entity.clone(),
            entity_id: entry.entity_id.clone(),
            ip: entry.ip.clone(),
            user_agent: entry.user_agent.clone(),
            ..NewEntry::default()
        };
        if hash(&prev, entry.at, &fields, &before_json, &after_json) != entry.hash {
            return Ok(Err(BrokenChain {
                id: entry.id,
                problem: "its content was changed",
            }));
        }
        prev = entry.hash;
    }
    Ok(Ok(rows.len() as u64))
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
        let base = hash(GENESIS, 1, &e, "{}", "{}");
        assert_ne!(base, hash("ff", 1, &e, "{}", "{}"));
        assert_ne!(base, hash(GENESIS, 2, &e, "{}", "{}"));
        assert_ne!(base, hash(GENESIS, 1, &e, "{}", "{\"name\":\"x\"}"));
        let other = NewEntry {
            ip: "10.0.0.1".into(),
            ..e.clone()
        };
        assert_ne!(base, hash(GENESIS, 1, &other, "{}", "{}"));
    }
}
