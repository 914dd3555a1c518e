//! The fleet link's bookkeeping of what agents sent: each uplink stored once by (agent, boot,
//! seq) together with its effect, the boot's contiguous high-water mark the acks carry, and the
//! clean-up of what has been acknowledged past.

use crate::kernel::db::{get, now_ms, Db, Result};
use crate::kernel::ids::{BranchId, CompanyId, RouterId, SubscriberId};

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
    pub branch: Option<BranchId>,
    pub router: RouterId,
    pub subscriber: Option<SubscriberId>,
    pub service: String,
    pub username: String,
    pub address: String,
    pub caller_id: String,
    pub router_session_id: String,
    /// Trusted times (the agent's when its clock is synced, else the controller's).
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// The agent's own times, as reported.
    pub agent_started_at: Option<i64>,
    pub agent_ended_at: Option<i64>,
    pub bytes_in: Option<i64>,
    pub bytes_out: Option<i64>,
}

async fn apply_effect(db: &mut Db, effect: &Effect) -> Result<()> {
    match effect {
        Effect::None => {}
        Effect::SessionUp(s) => {
            // A Down that overtook its Up (shared subscriptions reorder) already made the row.
            let closed = sqlx::query(
                "SELECT COUNT(*) AS n FROM session_log WHERE router_id = $1 AND router_session_id = $2 AND username = $3",
            )
            .bind(s.router)
            .bind(&s.router_session_id)
            .bind(&s.username)
            .fetch_one(&mut *db)
            .await?;
            if get::<i64>(&closed, "n")? == 0 {
                insert_session(db, s).await?;
            }
        }
        Effect::SessionDown(s) => {
            let done = sqlx::query(
                "UPDATE session_log SET ended_at = $1, agent_ended_at = $2, bytes_in = $3, bytes_out = $4
                 WHERE router_id = $5 AND router_session_id = $6 AND username = $7 AND ended_at IS NULL",
            )
            .bind(s.ended_at)
            .bind(s.agent_ended_at)
            .bind(s.bytes_in)
            .bind(s.bytes_out)
            .bind(s.router)
            .bind(&s.router_session_id)
            .bind(&s.username)
            .execute(&mut *db)
            .await?;
            if done.rows_affected() == 0 {
                insert_session(db, s).await?;
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
            .bind(router)
            .execute(&mut *db)
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
            .bind(router)
            .execute(&mut *db)
            .await?;
        }
    }
    Ok(())
}

async fn insert_session(db: &mut Db, s: &SessionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO session_log (company_id, branch_id, router_id, subscriber_id, service, username, address,
             caller_id, router_session_id, started_at, ended_at, agent_started_at, agent_ended_at, bytes_in, bytes_out)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(s.company)
    .bind(s.branch)
    .bind(s.router)
    .bind(s.subscriber)
    .bind(&s.service)
    .bind(&s.username)
    .bind(&s.address)
    .bind(&s.caller_id)
    .bind(&s.router_session_id)
    .bind(s.started_at)
    .bind(s.ended_at)
    .bind(s.agent_started_at)
    .bind(s.agent_ended_at)
    .bind(s.bytes_in)
    .bind(s.bytes_out)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Records uplink (agent, boot, seq) once, with its `effect`, in the caller's transaction, and
/// advances the boot's contiguous high-water mark. A seq at or below the mark is a duplicate
/// even after its record was purged.
pub async fn record(
    db: &mut Db,
    agent_id: &str,
    boot_id: &str,
    seq: i64,
    kind: &str,
    sent_at: i64,
    effect: &Effect,
) -> Result<Recorded> {
    let now = now_ms();
    // The boot's row first: it serialises this boot's messages across replicas and holds the
    // mark below which everything was taken in.
    let boot = sqlx::query(
        "INSERT INTO agent_boots (agent_id, boot_id, contiguous_seq, max_seq, last_seen_at)
         VALUES ($1, $2, 0, $3, $4)
         ON CONFLICT (agent_id, boot_id) DO UPDATE SET
             max_seq = CASE WHEN agent_boots.max_seq > $3 THEN agent_boots.max_seq ELSE $3 END,
             last_seen_at = $4
         RETURNING contiguous_seq, max_seq, gap_since",
    )
    .bind(agent_id)
    .bind(boot_id)
    .bind(seq)
    .bind(now)
    .fetch_one(&mut *db)
    .await?;
    let mut contiguous: i64 = get(&boot, "contiguous_seq")?;
    let max_seq: i64 = get(&boot, "max_seq")?;
    let gap_since: Option<i64> = get(&boot, "gap_since")?;
    let fresh = if seq <= contiguous {
        false
    } else {
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
        .execute(&mut *db)
        .await?;
        inserted.rows_affected() == 1
    };
    if fresh {
        apply_effect(db, effect).await?;
    }
    // Walk the high-water mark over whatever has arrived since (out-of-order delivery through
    // shared subscriptions fills gaps later).
    loop {
        let next = sqlx::query(
            "SELECT COUNT(*) AS n FROM agent_messages WHERE agent_id = $1 AND boot_id = $2 AND seq = $3",
        )
        .bind(agent_id)
        .bind(boot_id)
        .bind(contiguous + 1)
        .fetch_one(&mut *db)
        .await?;
        if get::<i64>(&next, "n")? == 0 {
            break;
        }
        contiguous += 1;
    }
    let gap_since = if contiguous >= max_seq {
        None
    } else {
        gap_since.or(Some(now))
    };
    sqlx::query("UPDATE agent_boots SET contiguous_seq = $1, gap_since = $2 WHERE agent_id = $3 AND boot_id = $4")
        .bind(contiguous)
        .bind(gap_since)
        .bind(agent_id)
        .bind(boot_id)
        .execute(&mut *db)
        .await?;
    Ok(Recorded {
        fresh,
        contiguous_seq: contiguous,
        gap_since,
    })
}

/// Forgets that a boot had a gap (after asking the agent for a rebirth), so the timer restarts.
pub async fn reset_gap(db: &mut Db, agent_id: &str, boot_id: &str) -> Result<()> {
    sqlx::query("UPDATE agent_boots SET gap_since = NULL WHERE agent_id = $1 AND boot_id = $2")
        .bind(agent_id)
        .bind(boot_id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Deletes message records received before `cutoff` that their boot's contiguous mark has
/// passed: a later duplicate is still recognised by the mark, which is why boots (one small row
/// per agent start) are kept. Returns the records removed.
pub async fn purge_acknowledged(db: &mut Db, cutoff: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM agent_messages WHERE received_at < $1 AND seq <= (
             SELECT b.contiguous_seq FROM agent_boots b
             WHERE b.agent_id = agent_messages.agent_id AND b.boot_id = agent_messages.boot_id)",
    )
    .bind(cutoff)
    .execute(&mut *db)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes sessions that ended before `cutoff`; returns how many.
pub async fn purge_sessions(db: &mut Db, cutoff: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM session_log WHERE ended_at IS NOT NULL AND ended_at < $1")
        .bind(cutoff)
        .execute(&mut *db)
        .await?;
    Ok(done.rows_affected())
}
