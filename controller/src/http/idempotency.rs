//! `Idempotency-Key` on the JSON API's POSTs: a client that lost the answer (a dropped mobile
//! connection) sends the same request with the same key and gets the first answer again,
//! instead of creating a second branch, user or payment.
//!
//! The key is per user. The first request claims it before running; a second arriving while
//! the first still runs gets 409; the same key with a different request gets 422. Answers with
//! a server error are not kept, so the request can be retried.

use super::{ApiError, ApiResult, AppState, Auth};
use crate::store::idempotency::{self, Claim};
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
) -> ApiResult<Response> {
    let key = key
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::BadRequest("Idempotency-Key must be 1-255 visible ASCII characters".into())
        })?
        .to_owned();
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, body_limit)
        .await
        .map_err(|_| ApiError::TooLarge)?;
    let mut fingerprint = format!("{} {}\n", parts.method, parts.uri.path()).into_bytes();
    fingerprint.extend_from_slice(&bytes);
    let fingerprint =
        crate::random::hex(ring::digest::digest(&ring::digest::SHA256, &fingerprint).as_ref());
    match idempotency::claim(&state.store, auth.user_id, &key, &fingerprint).await? {
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
        Claim::InProgress => return Err(ApiError::IdempotencyInProgress),
        Claim::Mismatch => return Err(ApiError::IdempotencyKeyReused),
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status();
    if status.is_server_error() {
        idempotency::release(&state.store, auth.user_id, &key).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_KEPT_BODY).await else {
        idempotency::release(&state.store, auth.user_id, &key).await?;
        return Err(ApiError::Internal(anyhow::anyhow!(
            "response too large to keep"
        )));
    };
    idempotency::finish(
        &state.store,
        auth.user_id,
        &key,
        status.as_u16(),
        &String::from_utf8_lossy(&bytes),
    )
    .await?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}
