//! Whose rows a piece of work may touch ([`Scope`]) and who does it ([`Actor`]).
//!
//! A `Scope` has no public fields and only two ways in: the session layer makes one for a
//! signed-in member (`Scope::member`, visible to the kernel only), and [`Scope::system`] makes
//! the explicit whole-company scope of jobs, payment callbacks, agents and bootstrap code. So a
//! handler cannot fill one in from a request body, and `grep Scope::system` lists every place
//! that acts without a signed-in user.

use super::ids::{ApiTokenId, BranchId, CompanyId, RouterId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    company: CompanyId,
    /// Set when the member's role is limited to one branch.
    branch: Option<BranchId>,
}

impl Scope {
    /// A signed-in member of `company`, limited to `branch` when their membership says so.
    pub(in crate::kernel) fn member(company: CompanyId, branch: Option<BranchId>) -> Scope {
        Scope { company, branch }
    }

    /// The whole company, for work no signed-in member asked for (jobs, callbacks, agents,
    /// bootstrap). Audited with the [`Actor`] that goes with it.
    pub fn system(company: CompanyId) -> Scope {
        Scope {
            company,
            branch: None,
        }
    }

    pub fn company(&self) -> CompanyId {
        self.company
    }

    pub fn branch(&self) -> Option<BranchId> {
        self.branch
    }

    /// The branch filter as SQL binds it: `-1` means every branch (`$n = -1 OR branch_id = $n`).
    pub fn branch_filter(&self) -> i64 {
        self.branch.map_or(-1, |b| b.0)
    }
}

/// Who is acting, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Staff signed in with the session cookie, or through one of their API tokens.
    Staff {
        user: UserId,
        token: Option<ApiTokenId>,
    },
    /// An edge agent, speaking for its router.
    Agent(RouterId),
    /// The controller itself: a job, a payment callback, bootstrap (`"dunning"`, `"demo"`, …).
    System(&'static str),
    /// Nobody signed in (failed logins, enrollment attempts).
    Anonymous,
}

impl Actor {
    /// The staff user behind the action, if any.
    pub fn user(&self) -> Option<UserId> {
        match self {
            Actor::Staff { user, .. } => Some(*user),
            _ => None,
        }
    }

    /// How the audit log names the actor (besides `actor_user_id`).
    pub fn label(&self) -> String {
        match self {
            Actor::Staff { token: None, .. } => "user".into(),
            Actor::Staff {
                token: Some(token), ..
            } => format!("token:{token}"),
            Actor::Agent(router) => format!("agent:{router}"),
            Actor::System(job) => format!("system:{job}"),
            Actor::Anonymous => String::new(),
        }
    }
}
