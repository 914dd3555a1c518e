//! The fleet's rows: POPs, routers (each with an edge agent), enrollment tokens, commands, the
//! session log, and the controller's signing key. Staff-facing queries are scoped by the work's
//! [`Scope`] (a branch-limited member sees the routers of their branch's POPs); the fleet link's
//! lookups by agent id are not, and say so.

use crate::kernel::db::{get, get_flag, now_ms, Db, Result, StoreError};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::ids::{BranchId, CompanyId, PlanId, PopId, RouterId, SubscriberId};
use crate::kernel::work::Work;
use serde::Serialize;
use sqlx::any::AnyRow;

// POPs.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Pop {
    pub id: PopId,
    pub company_id: CompanyId,
    pub branch_id: Option<BranchId>,
    pub name: String,
    pub created_at: i64,
}

macro_rules! pop_columns {
    () => {
        "id, company_id, branch_id, name, created_at"
    };
}

/// A POP in `branch` (checked by the composite key: another company's branch is refused).
pub async fn create_pop(work: &mut Work, name: &str, branch: Option<BranchId>) -> Result<Pop> {
    let company = work.scope().company();
    sqlx::query_as(concat!(
        "INSERT INTO pops (company_id, branch_id, name, created_at) VALUES ($1, $2, $3, $4) RETURNING ",
        pop_columns!()
    ))
    .bind(company)
    .bind(branch)
    .bind(name)
    .bind(now_ms())
    .fetch_one(work.db())
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::InUse => StoreError::NotFound,
        other => other,
    })
}

/// A page of the scope's POPs in id order.
pub async fn pops(work: &mut Work, page: &PageQuery) -> Result<Paged<Pop>> {
    let scope = work.scope();
    let rows = match scope.branch() {
        None => {
            sqlx::query_as(concat!(
                "SELECT ",
                pop_columns!(),
                " FROM pops WHERE company_id = $1 AND id > $2 ORDER BY id LIMIT $3"
            ))
            .bind(scope.company())
            .bind(page.after())
            .bind(page.limit() + 1)
            .fetch_all(work.db())
            .await?
        }
        Some(branch) => {
            sqlx::query_as(concat!(
            "SELECT ",
            pop_columns!(),
            " FROM pops WHERE company_id = $1 AND branch_id = $2 AND id > $3 ORDER BY id LIMIT $4"
        ))
            .bind(scope.company())
            .bind(branch)
            .bind(page.after())
            .bind(page.limit() + 1)
            .fetch_all(work.db())
            .await?
        }
    };
    Ok(Paged::from_rows(rows, page, |p: &Pop| p.id.0))
}

pub async fn pop(work: &mut Work, id: PopId) -> Result<Pop> {
    let scope = work.scope();
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        pop_columns!(),
        " FROM pops WHERE id = $1 AND company_id = $2 AND ($3 = -1 OR branch_id = $3)"
    ))
    .bind(id)
    .bind(scope.company())
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?)
}

// Routers.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Router {
    pub id: RouterId,
    pub company_id: CompanyId,
    pub pop_id: PopId,
    /// The branch of the router's POP.
    pub branch_id: Option<BranchId>,
    pub name: String,
    pub agent_id: String,
    /// Hex Ed25519 key of the enrolled agent.
    pub agent_public_key: Option<String>,
    pub enrolled_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub desired_version: i64,
    /// When the desired version last moved.
    pub desired_at: Option<i64>,
    pub applied_version: i64,
    #[serde(flatten)]
    pub status: LiveStatus,
    pub created_at: i64,
}

/// What the agent last told us.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

    /// Behind its desired state, and since when.
    pub fn lagging_since(&self) -> Option<i64> {
        (self.is_active() && self.applied_version < self.desired_version)
            .then(|| self.desired_at.unwrap_or(self.created_at))
    }
}

macro_rules! router_columns {
    () => {
        "r.id, r.company_id, r.pop_id, p.branch_id, r.name, r.agent_id, r.agent_public_key, r.enrolled_at,
         r.revoked_at, r.desired_version, r.desired_at, r.applied_version, r.online, r.last_seen_at, r.boot_id,
         r.boot_seq, r.agent_version, r.routeros_version, r.identity, r.cpu_load, r.free_memory, r.total_memory,
         r.uptime_secs, r.sessions_online, r.drift_json, r.interfaces_json, r.created_at
         FROM routers r JOIN pops p ON p.company_id = r.company_id AND p.id = r.pop_id"
    };
}

fn router_from_row(row: &AnyRow) -> Result<Router> {
    Ok(Router {
        id: get(row, "id")?,
        company_id: get(row, "company_id")?,
        pop_id: get(row, "pop_id")?,
        branch_id: get(row, "branch_id")?,
        name: get(row, "name")?,
        agent_id: get(row, "agent_id")?,
        agent_public_key: get(row, "agent_public_key")?,
        enrolled_at: get(row, "enrolled_at")?,
        revoked_at: get(row, "revoked_at")?,
        desired_version: get(row, "desired_version")?,
        desired_at: get(row, "desired_at")?,
        applied_version: get(row, "applied_version")?,
        status: LiveStatus {
            online: get_flag(row, "online")?,
            last_seen_at: get(row, "last_seen_at")?,
            boot_id: get(row, "boot_id")?,
            boot_seq: get(row, "boot_seq")?,
            agent_version: get(row, "agent_version")?,
            routeros_version: get(row, "routeros_version")?,
            identity: get(row, "identity")?,
            cpu_load: get(row, "cpu_load")?,
            free_memory: get(row, "free_memory")?,
            total_memory: get(row, "total_memory")?,
            uptime_secs: get(row, "uptime_secs")?,
            sessions_online: get(row, "sessions_online")?,
            drift_json: get(row, "drift_json")?,
            interfaces_json: get(row, "interfaces_json")?,
        },
        created_at: get(row, "created_at")?,
    })
}

/// A new router record at a POP of the scope, with a fresh random agent id.
pub async fn create_router(work: &mut Work, pop: PopId, name: &str) -> Result<Router> {
    self::pop(work, pop).await?;
    let company = work.scope().company();
    let agent_id = format!("ag-{}", &crate::kernel::random::token()[..20]);
    let row = sqlx::query(
        "INSERT INTO routers (company_id, pop_id, name, agent_id, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(company)
    .bind(pop)
    .bind(name)
    .bind(agent_id)
    .bind(now_ms())
    .fetch_one(work.db())
    .await?;
    router(work, get(&row, "id")?).await
}

/// A page of the scope's routers in id order.
pub async fn routers(work: &mut Work, page: &PageQuery) -> Result<Paged<Router>> {
    let scope = work.scope();
    let rows = match scope.branch() {
        None => {
            sqlx::query(concat!(
                "SELECT ",
                router_columns!(),
                " WHERE r.company_id = $1 AND r.id > $2 ORDER BY r.id LIMIT $3"
            ))
            .bind(scope.company())
            .bind(page.after())
            .bind(page.limit() + 1)
            .fetch_all(work.db())
            .await?
        }
        Some(branch) => {
            sqlx::query(concat!(
            "SELECT ",
            router_columns!(),
            " WHERE r.company_id = $1 AND p.branch_id = $2 AND r.id > $3 ORDER BY r.id LIMIT $4"
        ))
            .bind(scope.company())
            .bind(branch)
            .bind(page.after())
            .bind(page.limit() + 1)
            .fetch_all(work.db())
            .await?
        }
    };
    let rows = rows
        .iter()
        .map(router_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Paged::from_rows(rows, page, |r: &Router| r.id.0))
}

pub async fn router(work: &mut Work, id: RouterId) -> Result<Router> {
    let scope = work.scope();
    let row = sqlx::query(concat!(
        "SELECT ",
        router_columns!(),
        " WHERE r.id = $1 AND r.company_id = $2 AND ($3 = -1 OR p.branch_id = $3)"
    ))
    .bind(id)
    .bind(scope.company())
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?;
    router_from_row(&row)
}

/// A router by id, whatever its company (the fleet link, acting on a change that was scoped).
pub async fn router_by_id(db: &mut Db, id: RouterId) -> Result<Option<Router>> {
    let row = sqlx::query(concat!("SELECT ", router_columns!(), " WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(&mut *db)
        .await?;
    row.as_ref().map(router_from_row).transpose()
}

/// The router an agent speaks for (the fleet link, before any scope is known).
pub async fn router_by_agent(db: &mut Db, agent_id: &str) -> Result<Option<Router>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        router_columns!(),
        " WHERE r.agent_id = $1"
    ))
    .bind(agent_id)
    .fetch_optional(&mut *db)
    .await?;
    row.as_ref().map(router_from_row).transpose()
}

/// Enrolled routers behind their desired state that their agents say are online: what the
/// resend loop re-notifies.
pub async fn lagging_online(db: &mut Db) -> Result<Vec<Router>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        router_columns!(),
        " WHERE r.applied_version < r.desired_version AND r.online = 1 AND r.agent_public_key IS NOT NULL
           AND r.revoked_at IS NULL ORDER BY r.id"
    ))
    .fetch_all(&mut *db)
    .await?;
    rows.iter().map(router_from_row).collect()
}

/// How many enrolled routers lag behind their desired state, and since when the oldest does.
pub async fn lag(db: &mut Db) -> Result<(i64, Option<i64>)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(COALESCE(desired_at, created_at)) AS since FROM routers
         WHERE applied_version < desired_version AND agent_public_key IS NOT NULL AND revoked_at IS NULL",
    )
    .fetch_one(&mut *db)
    .await?;
    Ok((get(&row, "n")?, get(&row, "since")?))
}

/// Records the enrolled agent's key (re-enrolling replaces it and clears a revocation).
pub async fn set_enrolled(db: &mut Db, id: RouterId, public_key_hex: &str) -> Result<()> {
    sqlx::query("UPDATE routers SET agent_public_key = $1, enrolled_at = $2, revoked_at = NULL WHERE id = $3")
        .bind(public_key_hex)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

pub async fn revoke(work: &mut Work, id: RouterId) -> Result<Router> {
    let router = router(work, id).await?;
    sqlx::query("UPDATE routers SET revoked_at = $1, online = 0 WHERE id = $2 AND company_id = $3")
        .bind(now_ms())
        .bind(id)
        .bind(router.company_id)
        .execute(work.db())
        .await?;
    self::router(work, id).await
}

/// Marks the desired state of these routers of the scope's company changed; returns the ones
/// bumped.
pub async fn bump_desired(work: &mut Work, routers: &[RouterId]) -> Result<Vec<RouterId>> {
    let company = work.scope().company();
    let now = now_ms();
    let mut bumped = Vec::new();
    for router in routers {
        let done = sqlx::query(
            "UPDATE routers SET desired_version = desired_version + 1, desired_at = $1 WHERE id = $2 AND company_id = $3",
        )
        .bind(now)
        .bind(router)
        .bind(company)
        .execute(work.db())
        .await?;
        if done.rows_affected() == 1 {
            bumped.push(*router);
        }
    }
    Ok(bumped)
}

/// Bumps every router of the company that serves a subscriber on `plan`; returns their ids.
pub async fn bump_desired_for_plan(work: &mut Work, plan: PlanId) -> Result<Vec<RouterId>> {
    let company = work.scope().company();
    let rows = sqlx::query(
        "UPDATE routers SET desired_version = desired_version + 1, desired_at = $3 WHERE company_id = $1
           AND id IN (SELECT router_id FROM subscribers WHERE plan_id = $2 AND company_id = $1)
         RETURNING id",
    )
    .bind(company)
    .bind(plan)
    .bind(now_ms())
    .fetch_all(work.db())
    .await?;
    rows.iter().map(|r| get(r, "id")).collect()
}

// The live fields. Each message updates only the columns it carries, in one statement:
// replicas handle one agent's messages concurrently, and a read-modify-write of the whole row
// would let a stale copy undo another replica's update.

/// A status message (or its last will): applied unless an older connection's. Returns whether
/// it was applied.
pub async fn set_presence(
    db: &mut Db,
    id: RouterId,
    online: bool,
    boot_id: &str,
    boot_seq: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE routers SET online = $1, boot_id = $2, boot_seq = $3, last_seen_at = $4
         WHERE id = $5 AND boot_seq <= $3",
    )
    .bind(i64::from(online))
    .bind(boot_id)
    .bind(boot_seq)
    .bind(now_ms())
    .bind(id)
    .execute(&mut *db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A birth: the agent and router versions.
pub async fn set_birth(
    db: &mut Db,
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
    .bind(id)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Live telemetry.
pub struct TelemetryFields {
    pub cpu_load: i64,
    pub free_memory: Option<i64>,
    pub total_memory: Option<i64>,
    pub uptime_secs: Option<i64>,
    pub sessions_online: i64,
    pub interfaces_json: String,
}

pub async fn set_telemetry(db: &mut Db, id: RouterId, t: &TelemetryFields) -> Result<()> {
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
    .bind(id)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Anything else heard from the agent.
pub async fn seen(db: &mut Db, id: RouterId) -> Result<()> {
    sqlx::query("UPDATE routers SET last_seen_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

// Enrollment.

/// Stores a one-time enrollment token (its hash) for a router of the scope.
pub async fn create_enrollment(
    work: &mut Work,
    router: RouterId,
    token_hash: &str,
    expires_at: i64,
) -> Result<()> {
    let company = work.scope().company();
    sqlx::query(
        "INSERT INTO enrollment_tokens (token_hash, company_id, router_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(company)
    .bind(router)
    .bind(now_ms())
    .bind(expires_at)
    .execute(work.db())
    .await?;
    Ok(())
}

/// Uses up a live enrollment token; returns its router. A token works once: the `UPDATE` that
/// marks it used is the check, so two agents racing with one token cannot both win.
pub async fn redeem_enrollment(
    db: &mut Db,
    token_hash: &str,
) -> Result<Option<(CompanyId, RouterId)>> {
    let now = now_ms();
    let row: Option<(CompanyId, RouterId)> = sqlx::query_as(
        "UPDATE enrollment_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
         RETURNING company_id, router_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *db)
    .await?;
    Ok(row)
}

/// The controller's Ed25519 key (PKCS#8, hex), made once and shared by every replica.
pub async fn signing_key(
    db: &mut Db,
    generate: impl FnOnce() -> (String, String),
) -> Result<(String, String)> {
    if let Some(key) = read_key(db).await? {
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
    .execute(&mut *db)
    .await?;
    read_key(db).await?.ok_or(StoreError::NotFound)
}

async fn read_key(db: &mut Db) -> Result<Option<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT pkcs8_hex, public_key_hex FROM fleet_keys WHERE id = 1")
            .fetch_optional(&mut *db)
            .await?,
    )
}

// Commands.

/// A command to an agent and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CommandRow {
    pub id: String,
    pub router_id: RouterId,
    pub action: serde_json::Value,
    pub issued_at: i64,
    pub expires_at: i64,
    /// issued, received, in_progress, succeeded, failed, rejected or expired.
    pub state: String,
    pub detail: String,
    pub updated_at: i64,
}

pub async fn create_command(
    db: &mut Db,
    company: CompanyId,
    router: RouterId,
    id: &str,
    action: &serde_json::Value,
    issued_at: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO fleet_commands (id, company_id, router_id, action_json, issued_at, expires_at, state, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'issued', $5)",
    )
    .bind(id)
    .bind(company)
    .bind(router)
    .bind(action.to_string())
    .bind(issued_at)
    .bind(expires_at)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// A router's commands, newest first.
pub async fn commands(
    work: &mut Work,
    router: RouterId,
    page: &PageQuery,
) -> Result<Paged<CommandRow>> {
    let company = work.scope().company();
    let rows = sqlx::query(
        "SELECT id, router_id, action_json, issued_at, expires_at, state, detail, updated_at FROM fleet_commands
         WHERE company_id = $1 AND router_id = $2 ORDER BY issued_at DESC LIMIT $3",
    )
    .bind(company)
    .bind(router)
    .bind(page.limit())
    .fetch_all(work.db())
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(CommandRow {
                id: get(r, "id")?,
                router_id: get(r, "router_id")?,
                action: serde_json::from_str(&get::<String>(r, "action_json")?).unwrap_or_default(),
                issued_at: get(r, "issued_at")?,
                expires_at: get(r, "expires_at")?,
                state: get(r, "state")?,
                detail: get(r, "detail")?,
                updated_at: get(r, "updated_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Paged {
        items,
        next_after: None,
        next_before: None,
    })
}

// The session log.

/// One row of the session log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Session {
    pub id: i64,
    pub router_id: RouterId,
    pub branch_id: Option<BranchId>,
    pub subscriber_id: Option<SubscriberId>,
    pub service: String,
    pub username: String,
    pub address: String,
    pub caller_id: String,
    /// Trusted: the agent's time when its clock was synced, else when the controller heard.
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// What the agent reported, whatever its clock said.
    pub agent_started_at: Option<i64>,
    pub agent_ended_at: Option<i64>,
    pub bytes_in: Option<i64>,
    pub bytes_out: Option<i64>,
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

/// The scope's sessions matching `q`, newest first (a branch-limited member sees their branch's).
pub async fn sessions(
    work: &mut Work,
    q: &SessionQuery,
    page: &PageQuery,
) -> Result<Paged<Session>> {
    let scope = work.scope();
    let rows = sqlx::query_as(
        "SELECT id, router_id, branch_id, subscriber_id, service, username, address, caller_id, started_at,
             ended_at, agent_started_at, agent_ended_at, bytes_in, bytes_out
         FROM session_log WHERE company_id = $1 AND id < $2 AND ($3 = -1 OR subscriber_id = $3)
           AND ($4 = '' OR username = $4) AND ($5 = '' OR address = $5)
           AND ($6 = -1 OR (started_at <= $6 AND (ended_at IS NULL OR ended_at >= $6)))
           AND ($8 = -1 OR branch_id = $8)
         ORDER BY id DESC LIMIT $7",
    )
    .bind(scope.company())
    .bind(page.before())
    .bind(q.subscriber.map_or(-1, |s| s.0))
    .bind(&q.username)
    .bind(&q.address)
    .bind(q.at.unwrap_or(-1))
    .bind(page.limit() + 1)
    .bind(scope.branch_filter())
    .fetch_all(work.db())
    .await?;
    Ok(Paged::older(rows, page, |s: &Session| s.id))
}
