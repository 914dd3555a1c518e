//! `Idempotency-Key` on the JSON API's POSTs: a client that lost the answer (a dropped mobile
//! connection) sends the same request with the same key and gets the first answer again,
//! instead of creating a second branch, user or payment.
//!
//! The key is per user. The first request claims it before running; a second arriving while
//! the first still runs gets 409; the same key with a different request gets 422. Answers with
//! a server error are not kept, so the request can be retried.

use super::Auth;
use crate::kernel::db::{get, now_ms, Result as StoreResult, Store, StoreError};
use crate::kernel::error::{Error, Result};
use crate::kernel::ids::UserId;
use crate::AppState;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const HEADER: &str = "idempotency-key";
/// Marks a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// Kept answers are small JSON documents; anything bigger is not worth replaying.
const MAX_KEPT_BODY: usize = 256 * 1024;

pub async fn run(
    state: &AppState,
    auth: &Auth,
    key: &HeaderValue,
    body_limit: usize,
    req: Request,
    next: Next,
) -> Result<Response> {
    let key = key
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Error::BadRequest("Idempotency-Key must be 1-255 visible ASCII characters".into())
        })?
        .to_owned();
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, body_limit)
        .await
        .map_err(|_| Error::TooLarge)?;
    let mut fingerprint = format!("{} {}\n", parts.method, parts.uri.path()).into_bytes();
    fingerprint.extend_from_slice(&bytes);
    let fingerprint =
        protocol::encoding::hex(ring::digest::digest(&ring::digest::SHA256, &fingerprint).as_ref());
    match claim(&state.store, auth.user_id, &key, &fingerprint).await? {
        Claim::Fresh => {}
        Claim::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            return Ok((
                status,
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (REPLAYED.parse().expect("static header name"), "true"),
                ],
                body,
            )
                .into_response());
        }
        Claim::InProgress => return Err(Error::IdempotencyInProgress),
        Claim::Mismatch => return Err(Error::IdempotencyKeyReused),
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status();
    if status.is_server_error() {
        release(&state.store, auth.user_id, &key).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_KEPT_BODY).await else {
        release(&state.store, auth.user_id, &key).await?;
        return Err(Error::Internal(anyhow::anyhow!(
            "response too large to keep"
        )));
    };
    finish(
        &state.store,
        auth.user_id,
        &key,
        status.as_u16(),
        &String::from_utf8_lossy(&bytes),
    )
    .await?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// How long an answer is kept for replay.
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
async fn claim(store: &Store, user: UserId, key: &str, fingerprint: &str) -> StoreResult<Claim> {
    let now = now_ms();
    // Forget expired keys first, so a key can be reused after its retention.
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2 AND created_at < $3",
    )
    .bind(user)
    .bind(key)
    .bind(now - RETENTION_MS)
    .execute(store.pool())
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, idem_key, fingerprint, status, body, created_at)
         VALUES ($1, $2, $3, 0, '', $4)",
    )
    .bind(user)
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
    .bind(user)
    .bind(key)
    .fetch_one(store.pool())
    .await?;
    if get::<String>(&row, "fingerprint")? != fingerprint {
        return Ok(Claim::Mismatch);
    }
    Ok(match get::<i64>(&row, "status")? {
        0 => Claim::InProgress,
        status => Claim::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body: get(&row, "body")?,
        },
    })
}

/// Stores the answer to replay.
async fn finish(
    store: &Store,
    user: UserId,
    key: &str,
    status: u16,
    body: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = $1, body = $2 WHERE user_id = $3 AND idem_key = $4",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(user)
    .bind(key)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Forgets a claim whose request failed on our side, so the client may retry it.
async fn release(store: &Store, user: UserId, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2")
        .bind(user)
        .bind(key)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Deletes every expired key; returns how many.
pub async fn purge_expired(store: &Store) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(now_ms() - RETENTION_MS)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}
