//! One reconcile pass: read what the router holds, plan with `provisioning`, apply the plan.
//!
//! The plan is applied in stages (a run of operations with the same action on the same menu).
//! Within a stage the operations are independent, so they are pipelined; between stages we wait,
//! because later stages depend on earlier ones (profiles before the secrets that use them). The
//! first stage with a failure ends the pass: the next pass re-reads the router and re-plans, so
//! a half-applied plan is finished then, and nothing is applied twice.

use crate::routeros::{Client, RouterError, TrapKind};
use protocol::routeros::Command;
use provisioning::{Action, Desired, Menu, Observed, Op, Plan, PlanCounts, Policy, Refusal, Row};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ReconcileOptions {
    pub policy: Policy,
    pub dry_run: bool,
    /// Commands in flight at once while applying.
    pub window: usize,
}

impl Default for ReconcileOptions {
    fn default() -> Self {
        ReconcileOptions {
            policy: Policy::default(),
            dry_run: false,
            window: 64,
        }
    }
}

/// The result of a pass that got as far as a plan.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub plan: Plan,
    /// Operations the router confirmed.
    pub applied: usize,
    /// One line per failed operation.
    pub failures: Vec<String>,
    /// Menus the router does not have (e.g. no hotspot package).
    pub missing_menus: Vec<Menu>,
    pub managed_entries: usize,
    pub duration: Duration,
    pub dry_run: bool,
}

impl Outcome {
    pub fn converged(&self) -> bool {
        self.failures.is_empty()
            && (self.plan.is_empty() || (!self.dry_run && self.applied == self.plan.ops.len()))
    }

    pub fn counts(&self) -> PlanCounts {
        self.plan.counts()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Router(#[from] RouterError),
    #[error("plan refused: {0}")]
    Refused(#[from] Refusal),
    #[error("the desired state needs {0} but the router has no such menu")]
    MissingMenu(&'static str),
}

/// Reads every menu the planner needs, all prints in flight at once. Rows are converted as they
/// arrive, so a 20,000-row menu is never held twice. Menus the router lacks are reported, not
/// fatal.
pub async fn read_observed(client: &Client) -> Result<(Observed, Vec<Menu>), RouterError> {
    let mut reads = tokio::task::JoinSet::new();
    for menu in Menu::ALL {
        let client = client.clone();
        reads.spawn(async move { (menu, read_menu(&client, menu).await) });
    }
    let mut observed = Observed::default();
    let mut missing = Vec::new();
    while let Some(joined) = reads.join_next().await {
        let (menu, result) =
            joined.map_err(|e| RouterError::Lost(format!("reader task failed: {e}")))?;
        match result {
            Ok(rows) => {
                observed.rows.insert(menu, rows);
            }
            Err(e) if e.trap_kind() == Some(TrapKind::NoSuchCommand) => missing.push(menu),
            Err(e) => return Err(e),
        }
    }
    missing.sort();
    Ok((observed, missing))
}

async fn read_menu(client: &Client, menu: Menu) -> Result<Vec<Row>, RouterError> {
    let command = Command::new(format!("{}/print", menu.path())).proplist(menu.proplist());
    let mut stream = client.stream(&command).await?;
    let mut rows = Vec::new();
    while let Some(item) = stream.next().await? {
        if rows.len() >= client.max_rows() {
            return Err(RouterError::TooManyRows {
                command: format!("{}/print", menu.path()),
                limit: client.max_rows(),
            });
        }
        rows.extend(to_row(&item));
    }
    Ok(rows)
}

fn to_row(item: &crate::routeros::Item) -> Option<Row> {
    let id = item.get_text(".id")?;
    let props = item
        .attributes
        .iter()
        .filter(|(k, _)| k.as_slice() != b".id")
        .map(|(k, v)| {
            (
                protocol::routeros::text::lossy_text(k).into_owned(),
                protocol::routeros::text::lossy_text(v).into_owned(),
            )
        })
        .collect();
    Some(Row { id, props })
}

/// Reads, plans and (unless `dry_run`) applies.
pub async fn reconcile(
    client: &Client,
    desired: &Desired,
    options: &ReconcileOptions,
) -> Result<Outcome, ReconcileError> {
    let started = Instant::now();
    let (observed, missing_menus) = read_observed(client).await?;
    if missing_menus.contains(&Menu::HotspotUser) && !desired.hotspot_users.is_empty() {
        return Err(ReconcileError::MissingMenu(Menu::HotspotUser.path()));
    }
    let plan = provisioning::plan(desired, &observed, &options.policy)?;
    let managed_entries = count_managed(&observed);
    let (applied, failures) = if options.dry_run || plan.is_empty() {
        (0, Vec::new())
    } else {
        apply_plan(client, &plan, options.window).await?
    };
    Ok(Outcome {
        plan,
        applied,
        failures,
        missing_menus,
        managed_entries,
        duration: started.elapsed(),
        dry_run: options.dry_run,
    })
}

fn count_managed(observed: &Observed) -> usize {
    observed
        .rows
        .values()
        .flatten()
        .filter(|row| provisioning::is_managed(row.get("comment")))
        .count()
}

/// Applies `plan` stage by stage; returns how many operations succeeded and the failures.
/// A lost connection is an error: the caller reconnects and re-plans.
pub async fn apply_plan(
    client: &Client,
    plan: &Plan,
    window: usize,
) -> Result<(usize, Vec<String>), RouterError> {
    let mut applied = 0;
    let mut failures = Vec::new();
    for stage in stages(&plan.ops) {
        for (op, result) in stage.iter().zip(
            client
                .run_pipelined(stage.iter().map(command_for), window)
                .await,
        ) {
            match result {
                Ok(_) => applied += 1,
                // Already gone: the goal of a remove or a kick is reached.
                Err(e)
                    if op.action == Action::Remove
                        && e.trap_kind() == Some(TrapKind::NoSuchItem) =>
                {
                    applied += 1
                }
                Err(e) if e.is_connection_lost() => return Err(e),
                Err(e) => failures.push(format!("{}: {e}", op.summary())),
            }
        }
        if !failures.is_empty() {
            break;
        }
    }
    Ok((applied, failures))
}

/// Splits operations into runs with the same action, menu and kind. A rename is a stage of its
/// own: renames may depend on each other (one frees the name the next takes), and RouterOS does
/// not promise to run pipelined commands in order.
fn stages(ops: &[Op]) -> Vec<&[Op]> {
    let key = |op: &Op| (op.action, op.menu, op.is_kick());
    let is_rename = |op: &Op| op.action == Action::Set && op.props.iter().any(|(k, _)| k == "name");
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=ops.len() {
        let boundary = i == ops.len()
            || key(&ops[i]) != key(&ops[start])
            || is_rename(&ops[i])
            || is_rename(&ops[i - 1]);
        if boundary {
            out.push(&ops[start..i]);
            start = i;
        }
    }
    out
}

/// The RouterOS command that performs `op`.
pub fn command_for(op: &Op) -> Command {
    let path = op.menu.path();
    let mut command = match op.action {
        Action::Add => Command::new(format!("{path}/add")),
        Action::Set => Command::new(format!("{path}/set")),
        Action::Remove => Command::new(format!("{path}/remove")),
    };
    if let Some(id) = &op.id {
        command = command.attr(".id", id);
    }
    for (key, value) in &op.props {
        command = command.attr(key, value);
    }
    command
}
