//! What agents call over HTTP(S): enrollment with a one-time token, and fetching their router's
//! desired state with their own credentials (20,000 subscribers are ~2 MB of JSON: too big for
//! MQTT packets, easy for HTTP). Both routes are public in the RBAC sense and authenticate the
//! agent themselves.

use super::session::Origin;
use super::{Access, ApiError, ApiResult, AppState, Routes};
use crate::store::{audit, fleet, mqtt, routers};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use serde::{Deserialize, Serialize};

pub fn routes(r: Routes) -> Routes {
    r.add("POST", "/fleet/v1/enroll", Access::Public, post(enroll))
        .add("GET", "/fleet/v1/desired", Access::Public, get(desired))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub token: String,
    /// Hex of the agent's Ed25519 public key (32 bytes).
    pub public_key: String,
    #[serde(default)]
    pub agent_version: String,
}

/// What an enrolled agent needs to dial out and verify the controller.
#[derive(Debug, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub agent_id: String,
    pub mqtt_url: String,
    pub mqtt_username: String,
    pub mqtt_password: String,
    /// Hex Ed25519 key that signs every downlink.
    pub controller_public_key: String,
    pub desired_url: String,
}

async fn enroll(
    State(state): State<AppState>,
    origin: Origin,
    super::api::ApiJson(req): super::api::ApiJson<EnrollRequest>,
) -> ApiResult<(StatusCode, Json<EnrollResponse>)> {
    let key_ok = crate::fleet::unhex(&req.public_key).is_some_and(|k| k.len() == 32);
    if !key_ok {
        return Err(ApiError::field("public_key", "fleet.bad_public_key"));
    }
    let Some((company, router_id)) =
        fleet::redeem_enrollment(&state.store, &crate::random::sha256_hex(req.token.trim()))
            .await?
    else {
        audit_agent(&state, None, "router.enroll_refused", "", &origin).await?;
        return Err(ApiError::EnrollmentRefused);
    };
    let tenant = crate::store::Tenant::company(company);
    let router = routers::get(&state.store, &tenant, router_id).await?;
    routers::set_enrolled(&state.store, router.id, &req.public_key.to_lowercase()).await?;
    let password = crate::random::token();
    mqtt::upsert(&state.store, &router.agent_id, &password, "agent").await?;
    state.mqtt_logins_changed().await;
    audit_agent(
        &state,
        Some(company),
        "router.enrolled",
        &router.id.to_string(),
        &origin,
    )
    .await?;
    tracing::info!(agent = %router.agent_id, version = %req.agent_version, "agent enrolled");
    Ok((
        StatusCode::CREATED,
        Json(EnrollResponse {
            agent_id: router.agent_id.clone(),
            mqtt_url: state.config.agent_mqtt_url(),
            mqtt_username: router.agent_id,
            mqtt_password: password,
            controller_public_key: state.fleet_keys.public_hex.clone(),
            desired_url: format!("{}/fleet/v1/desired", state.config.public_url()),
        }),
    ))
}

async fn audit_agent(
    state: &AppState,
    company: Option<crate::store::CompanyId>,
    action: &str,
    router: &str,
    origin: &Origin,
) -> ApiResult<()> {
    audit::append(
        &state.store,
        audit::NewEntry {
            company_id: company,
            actor: None,
            action: action.into(),
            entity: "router".into(),
            entity_id: router.into(),
            ip: origin.ip.clone(),
            user_agent: origin.user_agent.clone(),
            ..audit::NewEntry::default()
        },
    )
    .await?;
    Ok(())
}

/// HTTP Basic credentials: (agent id, password).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?.trim();
    let decoded = base64_decode(encoded)?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Standard base64 (RFC 4648 §4), padding optional.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b'=') {
        let value = ALPHABET.iter().position(|a| *a == c)? as u32;
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The router's desired state as JSON, with its version and SHA-256 in headers (the signed
/// notice over MQTT carries the same hash, so a tampered document is refused by the agent).
async fn desired(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let Some((agent_id, password)) = basic_credentials(&headers) else {
        return Err(ApiError::Unauthenticated);
    };
    let router = crate::fleet::authenticate_agent(&state.store, &agent_id, &password)
        .await
        .map_err(|e| match e {
            crate::fleet::AgentAuthError::Refused => ApiError::Unauthenticated,
            crate::fleet::AgentAuthError::Store(e) => e.into(),
        })?;
    let document = crate::fleet::desired::for_router(&state.store, &router).await?;
    let body = serde_json::to_vec(&document).map_err(|e| ApiError::Internal(e.into()))?;
    let sha = crate::random::hex(ring::digest::digest(&ring::digest::SHA256, &body).as_ref());
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::HeaderName::from_static("x-setu-desired-version"),
                document.version.to_string(),
            ),
            (
                header::HeaderName::from_static("x-setu-desired-sha256"),
                sha,
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_decodes_rfc_4648_vectors() {
        for (encoded, plain) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ] {
            assert_eq!(super::base64_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(super::base64_decode("Zm9v!"), None);
    }
}
