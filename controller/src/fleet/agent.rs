//! What agents call over HTTP(S): enrollment with a one-time token, and fetching their router's
//! desired state with their own credentials (20,000 subscribers are ~2 MB of JSON: too big for
//! MQTT packets, easy for HTTP). Both routes are public in the RBAC sense and authenticate the
//! agent themselves.

use super::store;
use crate::kernel::audit::{self, NewEntry};
use crate::kernel::http::extract::ApiJson;
use crate::kernel::http::{Access, Routes};
use crate::kernel::ids::CompanyId;
use crate::kernel::scope::Actor;
use crate::kernel::work::Origin;
use crate::kernel::{random, Error, Result};
use crate::AppState;
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
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<(StatusCode, Json<EnrollResponse>)> {
    let key_ok = protocol::encoding::unhex(&req.public_key).is_some_and(|k| k.len() == 32);
    if !key_ok {
        return Err(Error::field("public_key", "fleet.bad_public_key"));
    }
    let mut tx = state.store.begin().await?;
    let Some((company, router_id)) =
        store::redeem_enrollment(&mut tx, &random::sha256_hex(req.token.trim())).await?
    else {
        drop(tx);
        audit_agent(
            &state,
            None,
            &Actor::Anonymous,
            "router.enroll_refused",
            "",
            &origin,
        )
        .await?;
        return Err(Error::EnrollmentRefused);
    };
    let router = store::router_by_id(&mut tx, router_id)
        .await?
        .filter(|r| r.company_id == company)
        .ok_or(Error::EnrollmentRefused)?;
    store::set_enrolled(&mut tx, router.id, &req.public_key.to_lowercase()).await?;
    let password = random::token();
    super::broker::upsert_login(&mut tx, &router.agent_id, &password, "agent").await?;
    let entry = NewEntry {
        company_id: Some(company),
        branch_id: router.branch_id,
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
        ..NewEntry::by(
            &Actor::Agent(router.id),
            "router.enrolled",
            "router",
            router.id,
        )
    };
    audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    state.mqtt_logins_changed().await;
    tracing::info!(agent = %router.agent_id, version = %req.agent_version, "agent enrolled");
    Ok((
        StatusCode::CREATED,
        Json(EnrollResponse {
            agent_id: router.agent_id.clone(),
            mqtt_url: state.config.agent_mqtt_url(),
            mqtt_username: router.agent_id,
            mqtt_password: password,
            controller_public_key: state.fleet.keys.public_hex.clone(),
            desired_url: format!("{}/fleet/v1/desired", state.config.public_url()),
        }),
    ))
}

async fn audit_agent(
    state: &AppState,
    company: Option<CompanyId>,
    actor: &Actor,
    action: &str,
    router: &str,
    origin: &Origin,
) -> Result<()> {
    let entry = NewEntry {
        company_id: company,
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
        ..NewEntry::by(actor, action, "router", router)
    };
    audit::append_alone(&state.store, &entry).await?;
    Ok(())
}

/// HTTP Basic credentials: (agent id, password).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?.trim();
    let text = String::from_utf8(protocol::encoding::unbase64(encoded)?).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The router's desired state as JSON, with its version and SHA-256 in headers (the signed
/// notice over MQTT carries the same hash, so a tampered document is refused by the agent).
async fn desired(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    let Some((agent_id, password)) = basic_credentials(&headers) else {
        return Err(Error::Unauthenticated);
    };
    let router = {
        let mut db = state.store.conn().await?;
        if !super::broker::check_login(&mut db, &agent_id, &password).await? {
            return Err(Error::Unauthenticated);
        }
        match store::router_by_agent(&mut db, &agent_id).await? {
            Some(router) if router.is_active() => router,
            _ => return Err(Error::Unauthenticated),
        }
    };
    let document = state
        .fleet
        .documents
        .current(&state.store, router.id)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::HeaderName::from_static("x-setu-desired-version"),
                document.version.to_string(),
            ),
            (
                header::HeaderName::from_static("x-setu-desired-sha256"),
                document.sha256.clone(),
            ),
        ],
        document.bytes.clone(),
    )
        .into_response())
}
