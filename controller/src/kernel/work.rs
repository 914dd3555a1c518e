//! The unit of work: a database transaction that knows whose rows it may touch ([`Scope`]) and
//! who acts ([`Actor`]). Every domain operation takes one, whoever calls it: a page, the JSON
//! API, a job or a payment callback. The change, its audit entry, the routers' desired-version
//! bump (and, later, outbox rows) commit together or not at all.
//!
//! Things that must only happen once the change is durable (waking the fleet link, rewriting
//! Mosquitto's password file) are queued with [`Work::after_commit`] and run by
//! [`Work::commit`], which returns once they have finished; a dropped or failed `Work` rolls
//! back and runs none of them.

use super::audit::{self, NewEntry};
use super::db::{Db, Result, StoreError};
use super::ids::BranchId;
use super::rbac::Permission;
use super::scope::{Actor, Scope};
use crate::AppState;
use futures_util::future::BoxFuture;
use sqlx::pool::PoolConnection;
use sqlx::{Any, Transaction};
use std::collections::HashSet;
use std::future::Future;

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: String,
}

/// What changed, for the audit log.
#[derive(Debug, Clone)]
pub struct Change {
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    /// The branch the change concerns; the actor's own branch when not set.
    pub branch: Option<BranchId>,
}

impl Change {
    /// `before` and `after` are the entity's JSON (`Null` where it did not exist).
    pub fn new(
        action: &'static str,
        entity: &'static str,
        id: impl ToString,
        before: impl serde::Serialize,
        after: impl serde::Serialize,
    ) -> Change {
        Change {
            action,
            entity,
            entity_id: id.to_string(),
            before: serde_json::to_value(before).unwrap_or_default(),
            after: serde_json::to_value(after).unwrap_or_default(),
            branch: None,
        }
    }

    /// The change concerns something in `branch` (a branch-limited viewer sees it).
    pub fn in_branch(mut self, branch: Option<BranchId>) -> Change {
        self.branch = branch;
        self
    }
}

enum Conn {
    Tx(Transaction<'static, Any>),
    /// Reads only (GET requests): no transaction to hold open.
    Read(PoolConnection<Any>),
}

type AfterCommit = Box<dyn FnOnce(AppState) -> BoxFuture<'static, ()> + Send>;

/// What the actor may do, for operations that hand out rights (roles, tokens, resets): nobody
/// grants or takes over more than they hold.
#[derive(Debug, Clone)]
pub enum Held {
    /// The system, and the platform admin.
    Everything,
    Only(HashSet<Permission>),
}

pub struct Work {
    conn: Conn,
    scope: Scope,
    actor: Actor,
    held: Held,
    origin: Origin,
    state: AppState,
    after_commit: Vec<AfterCommit>,
}

impl Work {
    /// A transaction for `actor`, working in `scope`, holding `held`.
    pub async fn begin(
        state: &AppState,
        scope: Scope,
        actor: Actor,
        held: Held,
        origin: Origin,
    ) -> Result<Work> {
        Ok(Work {
            conn: Conn::Tx(state.store.begin().await?),
            scope,
            actor,
            held,
            origin,
            state: state.clone(),
            after_commit: Vec::new(),
        })
    }

    /// Reads in `scope` without a transaction; [`Work::audit`] refuses.
    pub async fn read(state: &AppState, scope: Scope, actor: Actor, held: Held) -> Result<Work> {
        Ok(Work {
            conn: Conn::Read(state.store.conn().await?),
            scope,
            actor,
            held,
            origin: Origin::default(),
            state: state.clone(),
            after_commit: Vec::new(),
        })
    }

    /// Work the controller does itself (a job, a callback, bootstrap), audited as `system:<job>`.
    pub async fn system(state: &AppState, scope: Scope, job: &'static str) -> Result<Work> {
        Work::begin(
            state,
            scope,
            Actor::System(job),
            Held::Everything,
            Origin::default(),
        )
        .await
    }

    pub fn db(&mut self) -> &mut Db {
        match &mut self.conn {
            Conn::Tx(tx) => tx,
            Conn::Read(conn) => conn,
        }
    }

    pub fn scope(&self) -> Scope {
        self.scope
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Whether the actor holds `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        match &self.held {
            Held::Everything => true,
            Held::Only(held) => held.contains(&permission),
        }
    }

    /// Whether the actor holds every permission in `permissions`.
    pub fn holds_all(&self, permissions: &HashSet<Permission>) -> bool {
        permissions.iter().all(|p| self.can(*p))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Records `change` in the company's audit chain, in this transaction.
    pub async fn audit(&mut self, change: Change) -> Result<()> {
        if matches!(self.conn, Conn::Read(_)) {
            return Err(StoreError::ReadOnly);
        }
        let entry = NewEntry {
            company_id: Some(self.scope.company()),
            branch_id: change.branch.or(self.scope.branch()),
            ip: self.origin.ip.clone(),
            user_agent: self.origin.user_agent.clone(),
            before: change.before,
            after: change.after,
            ..NewEntry::by(&self.actor, change.action, change.entity, change.entity_id)
        };
        audit::append(self.db(), &entry).await?;
        Ok(())
    }

    /// Runs `f` once this work has committed (never if it rolls back).
    pub fn after_commit<F, Fut>(&mut self, f: F)
    where
        F: FnOnce(AppState) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.after_commit
            .push(Box::new(move |state| Box::pin(f(state))));
    }

    /// After an operation failed: rolls back, and goes on as a read, e.g. to show the form again
    /// with its errors. (A failed statement aborts a PostgreSQL transaction: nothing more may
    /// run in it.)
    pub async fn rolled_back(self) -> Result<Work> {
        let Work {
            conn,
            scope,
            actor,
            held,
            state,
            ..
        } = self;
        drop(conn);
        Work::read(&state, scope, actor, held).await
    }

    /// Commits, then runs what waited for the commit.
    pub async fn commit(self) -> Result<()> {
        if let Conn::Tx(tx) = self.conn {
            tx.commit().await?;
        }
        // Each runs as its own task: a caller that goes away (a client hanging up) does not
        // cut it short.
        let tasks: Vec<_> = (self.after_commit.into_iter())
            .map(|f| tokio::spawn(f(self.state.clone())))
            .collect();
        for task in tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "an after-commit task failed");
            }
        }
        Ok(())
    }
}
