//! Routers (one edge agent each): the record staff create, the agent's identity and key, the
//! desired-state version, and the live status the fleet link writes. Tenant-scoped except the
//! lookups by agent id, which the fleet link makes before any tenant is known.

use super::{
    get_i64, get_opt_i64, get_opt_string, get_string, now_ms, CompanyId, PopId, Result, RouterId,
    Store, Tenant,
};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Router {
    pub id: RouterId,
    pub company_id: CompanyId,
    pub pop_id: PopId,
    pub name: String,
    pub agent_id: String,
    /// Hex Ed25519 key of the enrolled agent.
    pub agent_public_key: Option<String>,
    pub enrolled_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub desired_version: i64,
    pub applied_version: i64,
    #[serde(flatten)]
    pub status: LiveStatus,
    pub created_at: i64,
}

/// What the agent last told us.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LiveStatus {
    pub online: bool,
    pub last_seen_at: Option<i64>,
    pub boot_id: String,
    pub boot_seq: i64,
    pub agent_version: String,
    pub routeros_version: String,
    pub identity: String,
    pub cpu_load: Option<i64>,
    pub free_memory: Option<i64>,
    pub total_memory: Option<i64>,
    pub uptime_secs: Option<i64>,
    pub sessions_online: i64,
    /// The last drift report, JSON (empty before the first).
    pub drift_json: String,
    /// The router's own interfaces from the last telemetry, JSON.
    pub interfaces_json: String,
}

impl Router {
    /// Enrolled, not revoked: may connect and publish.
    pub fn is_active(&self) -> bool {
        self.agent_public_key.is_some() && self.revoked_at.is_none()
    }
}

macro_rules! columns {
    () => {
        "id, company_id, pop_id, name, agent_id, agent_public_key, enrolled_at, revoked_at, desired_version,
         applied_version, online, last_seen_at, boot_id, boot_seq, agent_version, routeros_version, identity,
         cpu_load, free_memory, total_memory, uptime_secs, sessions_online, drift_json, interfaces_json, created_at"
    };
}

fn from_row(row: &AnyRow) -> Result<Router> {
    Ok(Router {
        id: RouterId(get_i64(row, "id")?),
        company_id: CompanyId(get_i64(row, "company_id")?),
        pop_id: PopId(get_i64(row, "pop_id")?),
        name: get_string(row, "name")?,
        agent_id: get_string(row, "agent_id")?,
        agent_public_key: get_opt_string(row, "agent_public_key")?,
        enrolled_at: get_opt_i64(row, "enrolled_at")?,
        revoked_at: get_opt_i64(row, "revoked_at")?,
        desired_version: get_i64(row, "desired_version")?,
        applied_version: get_i64(row, "applied_version")?,
        status: LiveStatus {
            online: get_i64(row, "online")? != 0,
            last_seen_at: get_opt_i64(row, "last_seen_at")?,
            boot_id: get_string(row, "boot_id")?,
            boot_seq: get_i64(row, "boot_seq")?,
            agent_version: get_string(row, "agent_version")?,
            routeros_version: get_string(row, "routeros_version")?,
            identity: get_string(row, "identity")?,
            cpu_load: get_opt_i64(row, "cpu_load")?,
            free_memory: get_opt_i64(row, "free_memory")?,
            total_memory: get_opt_i64(row, "total_memory")?,
            uptime_secs: get_opt_i64(row, "uptime_secs")?,
            sessions_online: get_i64(row, "sessions_online")?,
            drift_json: get_string(row, "drift_json")?,
            interfaces_json: get_string(row, "interfaces_json")?,
        },
        created_at: get_i64(row, "created_at")?,
    })
}

/// A new router record at a POP of the tenant's company, with a fresh random agent id.
pub async fn create(store: &Store, tenant: &Tenant, pop: PopId, name: &str) -> Result<Router> {
    let agent_id = format!("ag-{}", &crate::random::token()[..20]);
    let row = sqlx::query(concat!(
        "INSERT INTO routers (company_id, pop_id, name, agent_id, created_at)
         SELECT $1, p.id, $3, $4, $5 FROM pops p WHERE p.id = $2 AND p.company_id = $1
           AND ($6 = -1 OR p.branch_id = $6)
         RETURNING ",
        columns!()
    ))
    .bind(tenant.company.0)
    .bind(pop.0)
    .bind(name)
    .bind(agent_id)
    .bind(now_ms())
    .bind(tenant.branch.map_or(-1, |b| b.0))
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn list(store: &Store, tenant: &Tenant) -> Result<Vec<Router>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM routers WHERE company_id = $1 AND ($2 = -1 OR pop_id IN (SELECT id FROM pops WHERE branch_id = $2))
         ORDER BY name"
    ))
    .bind(tenant.company.0)
    .bind(tenant.branch.map_or(-1, |b| b.0))
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(store: &Store, tenant: &Tenant, id: RouterId) -> Result<Router> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM routers WHERE id = $1 AND company_id = $2
           AND ($3 = -1 OR pop_id IN (SELECT id FROM pops WHERE branch_id = $3))"
    ))
    .bind(id.0)
    .bind(tenant.company.0)
    .bind(tenant.branch.map_or(-1, |b| b.0))
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

/// A router by id, whatever its company (for the fleet link acting on a tenant-scoped change).
pub async fn by_id(store: &Store, id: RouterId) -> Result<Option<Router>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM routers WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The router an agent speaks for (the fleet link, before any tenant is known).
pub async fn by_agent_id(store: &Store, agent_id: &str) -> Result<Option<Router>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM routers WHERE agent_id = $1"
    ))
    .bind(agent_id)
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Records the enrolled agent's key (re-enrolling replaces it and clears a revocation).
pub async fn set_enrolled(store: &Store, id: RouterId, public_key_hex: &str) -> Result<()> {
    sqlx::query(
        "UPDATE routers SET agent_public_key = $1, enrolled_at = $2, revoked_at = NULL WHERE id = $3",
    )
    .bind(public_key_hex)
    .bind(now_ms())
    .bind(id.0)
    .execute(store.pool())
    .await?;
    Ok(())
}

pub async fn revoke(store: &Store, tenant: &Tenant, id: RouterId) -> Result<Router> {
    let router = get(store, tenant, id).await?;
    sqlx::query("UPDATE routers SET revoked_at = $1, online = 0 WHERE id = $2 AND company_id = $3")
        .bind(now_ms())
        .bind(id.0)
        .bind(tenant.company.0)
        .execute(store.pool())
        .await?;
    get(store, tenant, router.id).await
}

/// Marks the desired state of `router` changed; returns the new version.
pub async fn bump_desired(store: &Store, tenant: &Tenant, router: RouterId) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE routers SET desired_version = desired_version + 1 WHERE id = $1 AND company_id = $2
         RETURNING desired_version",
    )
    .bind(router.0)
    .bind(tenant.company.0)
    .fetch_one(store.pool())
    .await?;
    get_i64(&row, "desired_version")
}

/// Bumps every router of the company that serves a subscriber on `plan`; returns their ids.
pub async fn bump_desired_for_plan(
    store: &Store,
    tenant: &Tenant,
    plan: super::PlanId,
) -> Result<Vec<RouterId>> {
    let rows = sqlx::query(
        "UPDATE routers SET desired_version = desired_version + 1 WHERE company_id = $1
           AND id IN (SELECT router_id FROM subscribers WHERE plan_id = $2 AND company_id = $1)
         RETURNING id",
    )
    .bind(tenant.company.0)
    .bind(plan.0)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok(RouterId(get_i64(r, "id")?)))
        .collect()
}

// The live fields. Each message updates only the columns it carries, in one statement:
// replicas handle one agent's messages concurrently, and a read-modify-write of the whole row
// would let a stale copy undo another replica's update.

/// A status message (or its last will): applied unless an older connection's.
pub async fn set_presence(
    store: &Store,
    id: RouterId,
    online: bool,
    boot_id: &str,
    boot_seq: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE routers SET online = $1, boot_id = $2, boot_seq = $3, last_seen_at = $4
         WHERE id = $5 AND boot_seq <= $3",
    )
    .bind(i64::from(online))
    .bind(boot_id)
    .bind(boot_seq)
    .bind(now_ms())
    .bind(id.0)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// A birth: the agent and router versions.
pub async fn set_birth(
    store: &Store,
    id: RouterId,
    agent_version: &str,
    routeros_version: Option<&str>,
    identity: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE routers SET online = 1, last_seen_at = $1, agent_version = $2,
             routeros_version = COALESCE($3, routeros_version), identity = COALESCE($4, identity)
         WHERE id = $5",
    )
    .bind(now_ms())
    .bind(agent_version)
    .bind(routeros_version)
    .bind(identity)
    .bind(id.0)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Live telemetry.
pub struct TelemetryFields {
    pub cpu_load: i64,
    pub free_memory: i64,
    pub total_memory: i64,
    pub uptime_secs: i64,
    pub sessions_online: i64,
    pub interfaces_json: String,
}

pub async fn set_telemetry(store: &Store, id: RouterId, t: &TelemetryFields) -> Result<()> {
    sqlx::query(
        "UPDATE routers SET last_seen_at = $1, cpu_load = $2, free_memory = $3, total_memory = $4,
             uptime_secs = $5, sessions_online = $6, interfaces_json = $7
         WHERE id = $8",
    )
    .bind(now_ms())
    .bind(t.cpu_load)
    .bind(t.free_memory)
    .bind(t.total_memory)
    .bind(t.uptime_secs)
    .bind(t.sessions_online)
    .bind(&t.interfaces_json)
    .bind(id.0)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Anything else heard from the agent.
pub async fn seen(store: &Store, id: RouterId) -> Result<()> {
    sqlx::query("UPDATE routers SET last_seen_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id.0)
        .execute(store.pool())
        .await?;
    Ok(())
}
