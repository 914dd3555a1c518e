//! The fleet link's bookkeeping: enrollment tokens, the controller's signing key, each uplink
//! stored once by (agent, boot, seq) with the contiguous high-water mark the acks carry, the
//! session log, and commands.

use super::{
    get_i64, get_opt_i64, get_string, now_ms, CompanyId, Result, RouterId, Store, StoreError,
    SubscriberId, Tenant,
};
use serde::Serialize;
use sqlx::any::AnyRow;

/// Stores a one-time enrollment token (its hash) for a router of the tenant.
pub async fn create_enrollment(
    store: &Store,
    tenant: &Tenant,
    router: RouterId,
    token_hash: &str,
    expires_at: i64,
) -> Result<()> {
    let done = sqlx::query(
        "INSERT INTO enrollment_tokens (token_hash, company_id, router_id, created_at, expires_at)
         SELECT $1, $2, r.id, $4, $5 FROM routers r WHERE r.id = $3 AND r.company_id = $2",
    )
    .bind(token_hash)
    .bind(tenant.company.0)
    .bind(router.0)
    .bind(now_ms())
    .bind(expires_at)
    .execute(store.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Uses up a live enrollment token; returns its router. A token works once: the `UPDATE` that
/// marks it used is the check, so two agents racing with one token cannot both win.
pub async fn redeem_enrollment(
    store: &Store,
    token_hash: &str,
) -> Result<Option<(CompanyId, RouterId)>> {
    let now = now_ms();
    let row = sqlx::query(
        "UPDATE enrollment_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
         RETURNING company_id, router_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| {
        Ok((
            CompanyId(get_i64(&r, "company_id")?),
            RouterId(get_i64(&r, "router_id")?),
        ))
    })
    .transpose()
}

/// The controller's Ed25519 key (PKCS#8, hex), made once and shared by every replica.
pub async fn signing_key(
    store: &Store,
    generate: impl FnOnce() -> (String, String),
) -> Result<(String, String)> {
    if let Some(key) = read_key(store).await? {
        return Ok(key);
    }
    let (pkcs8_hex, public_hex) = generate();
    // Two replicas starting at once: the first insert wins, both read the winner.
    sqlx::query(
        "INSERT INTO fleet_keys (id, pkcs8_hex, public_key_hex, created_at) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(pkcs8_hex)
    .bind(public_hex)
    .bind(now_ms())
    .execute(store.pool())
    .await?;
    read_key(store).await?.ok_or(StoreError::NotFound)
}

async fn read_key(store: &Store) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT pkcs8_hex, public_key_hex FROM fleet_keys WHERE id = 1")
        .fetch_optional(store.pool())
        .await?;
    row.map(|r| {
        Ok((
            get_string(&r, "pkcs8_hex")?,
            get_string(&r, "public_key_hex")?,
        ))
    })
    .transpose()
}

/// Whether an uplink was new, and what to acknowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// False for a duplicate (already stored): do nothing but ack again.
    pub fresh: bool,
    /// Highest seq of this boot below which nothing is missing.
    pub contiguous_seq: i64,
    /// Since when a gap has stayed open (none if there is none).
    pub gap_since: Option<i64>,
}

/// What a stored uplink changes, applied in the same transaction as its (agent, boot, seq)
/// record, so a message is either fully taken in or not at all (and then not acknowledged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    SessionUp(SessionRow),
    SessionDown(SessionRow),
    CommandResult {
        router: RouterId,
        id: String,
        state: String,
        detail: String,
    },
    Applied {
        router: RouterId,
        version: i64,
        /// `None` keeps the last drift report (a birth carries none).
        drift_json: Option<String>,
    },
}

/// A session as an event describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub company: CompanyId,
    pub router: RouterId,
    pub subscriber: Option<SubscriberId>,
    pub service: String,
    pub username: String,
    pub address: String,
    pub caller_id: String,
    pub router_session_id: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub bytes_in: Option<i64>,
    pub bytes_out: Option<i64>,
}

async fn apply_effect(conn: &mut sqlx::AnyConnection, effect: &Effect) -> Result<()> {
    match effect {
        Effect::None => {}
        Effect::SessionUp(s) => {
            // A Down that overtook its Up (shared subscriptions reorder) already made the row.
            let closed = sqlx::query(
                "SELECT COUNT(*) AS n FROM session_log WHERE router_id = $1 AND router_session_id = $2 AND username = $3",
            )
            .bind(s.router.0)
            .bind(&s.router_session_id)
            .bind(&s.username)
            .fetch_one(&mut *conn)
            .await?;
            if get_i64(&closed, "n")? == 0 {
                insert_session(conn, s).await?;
            }
        }
        Effect::SessionDown(s) => {
            let done = sqlx::query(
                "UPDATE session_log SET ended_at = $1, bytes_in = $2, bytes_out = $3
                 WHERE router_id = $4 AND router_session_id = $5 AND username = $6 AND ended_at IS NULL",
            )
            .bind(s.ended_at)
            .bind(s.bytes_in)
            .bind(s.bytes_out)
            .bind(s.router.0)
            .bind(&s.router_session_id)
            .bind(&s.username)
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() == 0 {
                insert_session(conn, s).await?;
            }
        }
        Effect::CommandResult {
            router,
            id,
            state,
            detail,
        } => {
            sqlx::query(
                "UPDATE fleet_commands SET state = $1, detail = $2, updated_at = $3
                 WHERE id = $4 AND router_id = $5 AND state NOT IN ('succeeded', 'failed', 'rejected', 'expired')",
            )
            .bind(state)
            .bind(detail)
            .bind(now_ms())
            .bind(id)
            .bind(router.0)
            .execute(&mut *conn)
            .await?;
        }
        Effect::Applied {
            router,
            version,
            drift_json,
        } => {
            sqlx::query(
                "UPDATE routers SET applied_version = CASE WHEN applied_version < $1 THEN $1 ELSE applied_version END,
                     drift_json = COALESCE($2, drift_json) WHERE id = $3",
            )
            .bind(version)
            .bind(drift_json)
            .bind(router.0)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn insert_session(conn: &mut sqlx::AnyConnection, s: &SessionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO session_log (company_id, router_id, subscriber_id, service, username, address, caller_id,
             router_session_id, started_at, ended_at, bytes_in, bytes_out)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(s.company.0)
    .bind(s.router.0)
    .bind(s.subscriber.map(|id| id.0))
    .bind(&s.service)
    .bind(&s.username)
    .bind(&s.address)
    .bind(&s.caller_id)
    .bind(&s.router_session_id)
    .bind(s.started_at)
    .bind(s.ended_at)
    .bind(s.bytes_in)
    .bind(s.bytes_out)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records uplink (agent, boot, seq) once, with its `effect` in the same transaction, and
/// advances the boot's contiguous high-water mark.
pub async fn record_uplink(
    store: &Store,
    agent_id: &str,
    boot_id: &str,
    seq: i64,
    kind: &str,
    sent_at: i64,
    effect: &Effect,
) -> Result<Recorded> {
    let now = now_ms();
    let mut tx = store.pool().begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO agent_messages (agent_id, boot_id, seq, kind, sent_at, received_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agent_id, boot_id, seq) DO NOTHING",
    )
    .bind(agent_id)
    .bind(boot_id)
    .bind(seq)
    .bind(kind)
    .bind(sent_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let fresh = inserted.rows_affected() == 1;
    if fresh {
        apply_effect(&mut tx, effect).await?;
    }
    sqlx::query(
        "INSERT INTO agent_boots (agent_id, boot_id, contiguous_seq, max_seq, last_seen_at)
         VALUES ($1, $2, 0, $3, $4)
         ON CONFLICT (agent_id, boot_id) DO UPDATE SET
             max_seq = CASE WHEN agent_boots.max_seq > $3 THEN agent_boots.max_seq ELSE $3 END,
             last_seen_at = $4",
    )
    .bind(agent_id)
    .bind(boot_id)
    .bind(seq)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // Walk the high-water mark over whatever has arrived since (out-of-order delivery through
    // shared subscriptions fills gaps later).
    let row = sqlx::query("SELECT contiguous_seq, max_seq, gap_since FROM agent_boots WHERE agent_id = $1 AND boot_id = $2")
        .bind(agent_id)
        .bind(boot_id)
        .fetch_one(&mut *tx)
        .await?;
    let mut contiguous = get_i64(&row, "contiguous_seq")?;
    let max_seq = get_i64(&row, "max_seq")?;
    let mut gap_since = get_opt_i64(&row, "gap_since")?;
    loop {
        let next = sqlx::query(
            "SELECT COUNT(*) AS n FROM agent_messages WHERE agent_id = $1 AND boot_id = $2 AND seq = $3",
        )
        .bind(agent_id)
        .bind(boot_id)
        .bind(contiguous + 1)
        .fetch_one(&mut *tx)
        .await?;
        if get_i64(&next, "n")? == 0 {
            break;
        }
        contiguous += 1;
    }
    gap_since = if contiguous >= max_seq {
        None
    } else {
        gap_since.or(Some(now))
    };
    sqlx::query(
        "UPDATE agent_boots SET contiguous_seq = $1, gap_since = $2 WHERE agent_id = $3 AND boot_id = $4",
    )
    .bind(contiguous)
    .bind(gap_since)
    .bind(agent_id)
    .bind(boot_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Recorded {
        fresh,
        contiguous_seq: contiguous,
        gap_since,
    })
}

/// Forgets that a boot had a gap (after asking the agent for a rebirth), so the timer restarts.
pub async fn reset_gap(store: &Store, agent_id: &str, boot_id: &str) -> Result<()> {
    sqlx::query("UPDATE agent_boots SET gap_since = NULL WHERE agent_id = $1 AND boot_id = $2")
        .bind(agent_id)
        .bind(boot_id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// One row of the session log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub id: i64,
    pub router_id: RouterId,
    pub subscriber_id: Option<SubscriberId>,
    pub service: String,
    pub username: String,
    pub address: String,
    pub caller_id: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub bytes_in: Option<i64>,
    pub bytes_out: Option<i64>,
}

macro_rules! session_columns {
    () => {
        "id, router_id, subscriber_id, service, username, address, caller_id, started_at, ended_at, bytes_in, bytes_out"
    };
}

fn session_from_row(row: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: get_i64(row, "id")?,
        router_id: RouterId(get_i64(row, "router_id")?),
        subscriber_id: get_opt_i64(row, "subscriber_id")?.map(SubscriberId),
        service: get_string(row, "service")?,
        username: get_string(row, "username")?,
        address: get_string(row, "address")?,
        caller_id: get_string(row, "caller_id")?,
        started_at: get_i64(row, "started_at")?,
        ended_at: get_opt_i64(row, "ended_at")?,
        bytes_in: get_opt_i64(row, "bytes_in")?,
        bytes_out: get_opt_i64(row, "bytes_out")?,
    })
}

/// What the session log filters by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionQuery {
    pub subscriber: Option<SubscriberId>,
    pub username: String,
    /// With `at`: who had this address at that moment.
    pub address: String,
    pub at: Option<i64>,
}

pub async fn sessions(
    store: &Store,
    tenant: &Tenant,
    q: &SessionQuery,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Session>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        session_columns!(),
        " FROM session_log WHERE company_id = $1 AND id < $2 AND ($3 = -1 OR subscriber_id = $3)
           AND ($4 = '' OR username = $4) AND ($5 = '' OR address = $5)
           AND ($6 = -1 OR (started_at <= $6 AND (ended_at IS NULL OR ended_at >= $6)))
         ORDER BY id DESC LIMIT $7"
    ))
    .bind(tenant.company.0)
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(q.subscriber.map_or(-1, |s| s.0))
    .bind(&q.username)
    .bind(&q.address)
    .bind(q.at.unwrap_or(-1))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(session_from_row).collect()
}

/// Deletes sessions that ended before `cutoff`; returns how many.
pub async fn purge_sessions(store: &Store, cutoff: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM session_log WHERE ended_at IS NOT NULL AND ended_at < $1")
        .bind(cutoff)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}

/// A command to an agent and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandRow {
    pub id: String,
    pub router_id: RouterId,
    pub action: serde_json::Value,
    pub issued_at: i64,
    pub expires_at: i64,
    pub state: String,
    pub detail: String,
    pub updated_at: i64,
}

pub async fn create_command(
    store: &Store,
    tenant: &Tenant,
    router: RouterId,
    id: &str,
    action: &serde_json::Value,
    issued_at: i64,
    expires_at: i64,
) -> Result<()> {
    let done = sqlx::query(
        "INSERT INTO fleet_commands (id, company_id, router_id, action_json, issued_at, expires_at, state, updated_at)
         SELECT $1, $2, r.id, $4, $5, $6, 'issued', $5 FROM routers r WHERE r.id = $3 AND r.company_id = $2",
    )
    .bind(id)
    .bind(tenant.company.0)
    .bind(router.0)
    .bind(action.to_string())
    .bind(issued_at)
    .bind(expires_at)
    .execute(store.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn commands(
    store: &Store,
    tenant: &Tenant,
    router: RouterId,
    limit: i64,
) -> Result<Vec<CommandRow>> {
    let rows = sqlx::query(
        "SELECT id, router_id, action_json, issued_at, expires_at, state, detail, updated_at FROM fleet_commands
         WHERE company_id = $1 AND router_id = $2 ORDER BY issued_at DESC LIMIT $3",
    )
    .bind(tenant.company.0)
    .bind(router.0)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CommandRow {
                id: get_string(r, "id")?,
                router_id: RouterId(get_i64(r, "router_id")?),
                action: serde_json::from_str(&get_string(r, "action_json")?).unwrap_or_default(),
                issued_at: get_i64(r, "issued_at")?,
                expires_at: get_i64(r, "expires_at")?,
                state: get_string(r, "state")?,
                detail: get_string(r, "detail")?,
                updated_at: get_i64(r, "updated_at")?,
            })
        })
        .collect()
}
