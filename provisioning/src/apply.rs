//! A pure model of the router running a plan.

use std::collections::BTreeSet;

use crate::plan::{Action, Plan};
use crate::router::{Observed, Row};

/// What the router would hold after running `plan`: an add creates a row with a fresh id
/// (`*F0000001`, unused anywhere in `observed`), a set writes its properties, a remove deletes
/// the row. Used by property tests and by the agent's dry-run preview.
pub fn apply(plan: &Plan, observed: &Observed) -> Observed {
    let mut state = observed.clone();
    let mut used_ids: BTreeSet<String> = observed
        .rows
        .values()
        .flatten()
        .map(|row| row.id.clone())
        .collect();
    let mut next_number: u64 = 0;
    let mut fresh_id = || loop {
        next_number += 1;
        let id = format!("*F{next_number:07X}");
        if used_ids.insert(id.clone()) {
            return id;
        }
    };

    for op in &plan.ops {
        let same_row = |row: &Row| op.id.as_deref() == Some(row.id.as_str());
        match op.action {
            Action::Add => {
                let row = Row::new(fresh_id(), op.props.iter().cloned());
                state.rows.entry(op.menu).or_default().push(row);
            }
            Action::Set => {
                let rows = state.rows.get_mut(&op.menu).into_iter().flatten();
                for row in rows.filter(|row| same_row(row)) {
                    row.props.extend(op.props.iter().cloned());
                }
            }
            Action::Remove => {
                if let Some(rows) = state.rows.get_mut(&op.menu) {
                    rows.retain(|row| !same_row(row));
                }
            }
        }
    }
    state
}
