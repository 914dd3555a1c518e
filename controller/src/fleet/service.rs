//! Fleet operations on a unit of work: POPs, routers, enrollment tokens, revocation, commands,
//! and the desired-version bump every other domain calls when it changes what a router should
//! hold. Agents' own requests (enrollment, fetching the desired state) are in `agent.rs`.

use super::store::{self, CommandRow, Pop, Router};
use crate::kernel::db::StoreError;
use crate::kernel::http::extract::loose;
use crate::kernel::ids::{BranchId, PlanId, PopId, RouterId};
use crate::kernel::validate::text;
use crate::kernel::work::{Change, Work};
use crate::kernel::{random, Error, Result};
use crate::AppState;
use serde::{Deserialize, Serialize};

/// These routers' desired state changed in this unit of work: their versions move with it, and
/// the fleet link is woken once it commits.
pub async fn desired_changed(work: &mut Work, routers: &[RouterId]) -> Result<()> {
    let mut unique = routers.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let bumped = store::bump_desired(work, &unique).await?;
    work.after_commit(move |state| async move { state.fleet.nudges.poke(&bumped) });
    Ok(())
}

/// A plan changed: every router serving a subscriber on it follows.
pub async fn plan_changed(work: &mut Work, plan: PlanId) -> Result<()> {
    let bumped = store::bump_desired_for_plan(work, plan).await?;
    work.after_commit(move |state| async move { state.fleet.nudges.poke(&bumped) });
    Ok(())
}

/// A new POP.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PopInput {
    pub name: String,
    /// The branch it serves; a branch-limited member's own when they add one.
    #[serde(default, deserialize_with = "loose::opt")]
    #[schema(value_type = Option<i64>)]
    pub branch_id: Option<BranchId>,
}

pub async fn create_pop(work: &mut Work, input: &PopInput) -> Result<Pop> {
    let name = text("name", &input.name, 100)?;
    let branch = match (work.scope().branch(), input.branch_id) {
        (Some(own), Some(asked)) if own != asked => {
            return Err(Error::field("branch_id", "users.unknown_branch"))
        }
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let pop = match store::create_pop(work, &name, branch).await {
        Err(StoreError::Conflict) => return Err(Error::taken("name")),
        Err(StoreError::NotFound) => return Err(Error::field("branch_id", "users.unknown_branch")),
        other => other?,
    };
    work.audit(
        Change::new("pop.create", "pop", pop.id, serde_json::Value::Null, &pop)
            .in_branch(pop.branch_id),
    )
    .await?;
    Ok(pop)
}

/// A new router record at a POP.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouterInput {
    #[serde(default, deserialize_with = "loose::opt")]
    #[schema(value_type = Option<i64>)]
    pub pop_id: Option<PopId>,
    pub name: String,
}

pub async fn create_router(work: &mut Work, input: &RouterInput) -> Result<Router> {
    let name = text("name", &input.name, 100)?;
    let Some(pop) = input.pop_id else {
        return Err(Error::field("pop_id", "routers.unknown_pop"));
    };
    let router = match store::create_router(work, pop, &name).await {
        Err(StoreError::Conflict) => return Err(Error::taken("name")),
        Err(StoreError::NotFound | StoreError::InUse) => {
            return Err(Error::field("pop_id", "routers.unknown_pop"))
        }
        other => other?,
    };
    work.audit(
        Change::new(
            "router.create",
            "router",
            router.id,
            serde_json::Value::Null,
            &router,
        )
        .in_branch(router.branch_id),
    )
    .await?;
    Ok(router)
}

/// A one-time enrollment token, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Enrollment {
    pub token: String,
    pub expires_at: i64,
    /// What to run on the agent box.
    pub command: String,
}

/// Makes a one-time enrollment token for a router (re-enrolling an agent works the same way);
/// only its hash is stored.
pub async fn issue_enrollment(work: &mut Work, id: RouterId) -> Result<Enrollment> {
    let router = store::router(work, id).await?;
    let token = format!("enr_{}", random::token());
    let config = work.state().config.clone();
    let expires_at = crate::kernel::db::now_ms() + config.fleet.enrollment_minutes * 60_000;
    store::create_enrollment(work, id, &random::sha256_hex(&token), expires_at).await?;
    work.audit(
        Change::new(
            "router.enrollment_issued",
            "router",
            id,
            serde_json::Value::Null,
            serde_json::json!({ "expires_at": expires_at }),
        )
        .in_branch(router.branch_id),
    )
    .await?;
    let command = format!(
        "setu-agent enroll --controller {} --token {token}",
        config.public_url()
    );
    Ok(Enrollment {
        token,
        expires_at,
        command,
    })
}

/// Revokes a router's agent: its MQTT login dies and its messages are refused from now on.
pub async fn revoke_router(work: &mut Work, id: RouterId) -> Result<Router> {
    let before = store::router(work, id).await?;
    let after = store::revoke(work, id).await?;
    super::broker::revoke_login(work.db(), &after.agent_id).await?;
    work.audit(
        Change::new("router.revoke", "router", id, &before, &after).in_branch(after.branch_id),
    )
    .await?;
    // The answer waits for the password file: once revoked, Mosquitto refuses the login.
    work.after_commit(|state| async move { state.mqtt_logins_changed().await });
    Ok(after)
}

/// What staff may ask an agent to do.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, tag = "action", rename_all = "snake_case")]
pub enum CommandRequest {
    Resync,
    Kick { user: String },
    Diagnostics,
}

/// Records, audits and (once committed) sends a command to a router's agent; returns its id.
pub async fn issue_command(
    work: &mut Work,
    id: RouterId,
    request: CommandRequest,
) -> Result<String> {
    use protocol::fleet::{CommandAction, DownBody, Service};
    let router = store::router(work, id).await?;
    if !router.is_active() {
        return Err(Error::field("router", "fleet.not_enrolled"));
    }
    let Some(link) = work.state().fleet.mqtt.clone() else {
        return Err(Error::Unavailable);
    };
    let action = match request {
        CommandRequest::Resync => CommandAction::Resync,
        CommandRequest::Diagnostics => CommandAction::Diagnostics,
        CommandRequest::Kick { user } => CommandAction::Kick {
            service: Service::Pppoe,
            user: text("user", &user, 64)?,
        },
    };
    let audit_action = serde_json::to_value(&action).unwrap_or_default();
    let command = super::link::record_command(work.db(), &router, action).await?;
    let command_id = command.id.clone();
    work.audit(
        Change::new(
            "router.command",
            "router",
            router.id,
            serde_json::Value::Null,
            serde_json::json!({ "command_id": command_id, "action": audit_action }),
        )
        .in_branch(router.branch_id),
    )
    .await?;
    let agent = router.agent_id.clone();
    work.after_commit(move |state| async move {
        if let Err(e) =
            super::link::send_down(&state, &link, &agent, DownBody::Command(command)).await
        {
            tracing::warn!(error = %e, "command not sent");
        }
    });
    Ok(command_id)
}

/// A router's recent commands.
pub async fn commands(work: &mut Work, id: RouterId) -> Result<Vec<CommandRow>> {
    store::router(work, id).await?;
    Ok(
        store::commands(work, id, &crate::kernel::http::list::PageQuery::first(100))
            .await?
            .items,
    )
}

/// How far behind the fleet is: lagging routers and the oldest lag.
#[derive(Debug, Clone, Copy)]
pub struct Lag {
    pub routers: i64,
    pub oldest_ms: i64,
}

pub async fn lag(state: &AppState) -> Result<Lag> {
    let mut db = state.store.conn().await?;
    let (routers, since) = store::lag(&mut db).await?;
    Ok(Lag {
        routers,
        oldest_ms: since.map_or(0, |since| (crate::kernel::db::now_ms() - since).max(0)),
    })
}
