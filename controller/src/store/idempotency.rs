//! Idempotency keys: the first response to a creating request, kept for a day and replayed
//! when a client retries with the same key (a dropped connection must not create twice).

use super::{get_i64, get_string, now_ms, Result, Store, StoreError, UserId};

/// How long a key is remembered.
pub const RETENTION_MS: i64 = 24 * 3_600_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use: run the request, then [`finish`] (or [`release`] on a server error).
    Fresh,
    /// Seen before with the same request: here is what was answered.
    Replay { status: u16, body: String },
    /// The first request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// Claims `key` for this user and request fingerprint.
pub async fn claim(store: &Store, user: UserId, key: &str, fingerprint: &str) -> Result<Claim> {
    let now = now_ms();
    // Forget expired keys first, so a key can be reused after its retention.
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2 AND created_at < $3",
    )
    .bind(user.0)
    .bind(key)
    .bind(now - RETENTION_MS)
    .execute(store.pool())
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, idem_key, fingerprint, status, body, created_at)
         VALUES ($1, $2, $3, 0, '', $4)",
    )
    .bind(user.0)
    .bind(key)
    .bind(fingerprint)
    .bind(now)
    .execute(store.pool())
    .await;
    match inserted {
        Ok(_) => return Ok(Claim::Fresh),
        Err(e) => match StoreError::from(e) {
            StoreError::Conflict => {}
            other => return Err(other),
        },
    }
    let row = sqlx::query(
        "SELECT fingerprint, status, body FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2",
    )
    .bind(user.0)
    .bind(key)
    .fetch_one(store.pool())
    .await?;
    if get_string(&row, "fingerprint")? != fingerprint {
        return Ok(Claim::Mismatch);
    }
    Ok(match get_i64(&row, "status")? {
        0 => Claim::InProgress,
        status => Claim::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body: get_string(&row, "body")?,
        },
    })
}

/// Stores the answer to replay.
pub async fn finish(store: &Store, user: UserId, key: &str, status: u16, body: &str) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = $1, body = $2 WHERE user_id = $3 AND idem_key = $4",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(user.0)
    .bind(key)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Forgets a claim whose request failed on our side, so the client may retry it.
pub async fn release(store: &Store, user: UserId, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2")
        .bind(user.0)
        .bind(key)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Deletes every expired key; returns how many.
pub async fn purge_expired(store: &Store) -> Result<u64> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(now_ms() - RETENTION_MS)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}
