//! The plan: ordered RouterOS operations, the guard rails that refuse one, and its display.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::desired::Desired;
use crate::marker::is_managed;
use crate::policy::{Policy, Suspension};
use crate::reconcile::{reconcile, PlannedSet, Reconciled, NO_LONGER_DESIRED};
use crate::router::{Menu, Observed, Row};
use crate::wanted::{wanted_entries, Wanted};

/// Menus of plans, which logins refer to.
const PROFILE_MENUS: [Menu; 2] = [Menu::PppProfile, Menu::HotspotUserProfile];
/// Menus of per-subscriber entries.
const SUBSCRIBER_MENUS: [Menu; 4] = [
    Menu::PppSecret,
    Menu::HotspotUser,
    Menu::SimpleQueue,
    Menu::AddressList,
];
/// Each login menu and the profile menu its `profile` refers to.
const LOGIN_PROFILES: [(Menu, Menu); 2] = [
    (Menu::PppSecret, Menu::PppProfile),
    (Menu::HotspotUser, Menu::HotspotUserProfile),
];

/// An ordered list of operations for the agent to run, and notes for the operator.
///
/// Run the operations in order. Groups of one action on one menu are independent within
/// themselves, except the `set`s of renames: a rename into a name waits for the rename away
/// from it (and a swap goes through a temporary name), so those must not be reordered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub ops: Vec<Op>,
    /// Conflicts, unmanaged entries left alone, profiles kept because still used.
    pub notes: Vec<String>,
}

/// One RouterOS operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub menu: Menu,
    pub action: Action,
    /// The router's `.id` of the row, for `Set` and `Remove`.
    pub id: Option<String>,
    /// The entry's current name, for display and logs (`list:address` for address lists).
    pub name: String,
    /// RouterOS property names and the values to write, in writing order.
    pub props: Vec<(String, String)>,
    /// Why, when the action alone does not say it: `suspended`, `duplicate`, `adopted`...
    pub reason: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Add,
    Set,
    /// On a session menu, a kick.
    Remove,
}

/// How many operations of each kind a plan holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanCounts {
    pub adds: usize,
    pub sets: usize,
    /// Removals of entries, not counting kicks.
    pub removes: usize,
    pub kicks: usize,
}

impl fmt::Display for PlanCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} to add, {} to set, {} to remove, {} to kick",
            self.adds, self.sets, self.removes, self.kicks
        )
    }
}

impl Plan {
    /// Nothing to do on the router (there may still be notes).
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn counts(&self) -> PlanCounts {
        let mut counts = PlanCounts::default();
        for op in &self.ops {
            match op.action {
                Action::Add => counts.adds += 1,
                Action::Set => counts.sets += 1,
                Action::Remove if op.is_kick() => counts.kicks += 1,
                Action::Remove => counts.removes += 1,
            }
        }
        counts
    }
}

impl Op {
    /// Ending a live session: a `Remove` on `/ppp/active` or `/ip/hotspot/active`.
    pub fn is_kick(&self) -> bool {
        self.action == Action::Remove && self.menu.is_session_menu()
    }

    /// The operation on one line, for logs: `set /ppp/secret *1A alice  disabled=yes`.
    /// Passwords are masked.
    pub fn summary(&self) -> String {
        let mut line = String::new();
        self.write_line(&mut line, 0)
            .expect("writing to a String cannot fail");
        line
    }

    fn write_line(&self, out: &mut impl fmt::Write, path_width: usize) -> fmt::Result {
        let verb = match self.action {
            Action::Add => "add",
            Action::Set => "set",
            Action::Remove if self.is_kick() => "kick",
            Action::Remove => "remove",
        };
        write!(out, "{verb:<6} {:<path_width$}  ", self.menu.path())?;
        if let Some(id) = &self.id {
            write!(out, "{id} ")?;
        }
        out.write_str(&self.name)?;
        // An add shows its name in the name column already.
        let props: Vec<String> = self
            .props
            .iter()
            .filter(|(name, _)| !(self.action == Action::Add && name == "name"))
            .map(|(name, value)| format!("{name}={}", display_value(name, value)))
            .collect();
        if !props.is_empty() {
            write!(out, "  {}", props.join(" "))?;
        }
        if let Some(reason) = self.reason {
            write!(out, "  ({reason})")?;
        }
        Ok(())
    }
}

/// One aligned line per operation, e.g. `set    /ppp/secret  *1A alice  disabled=yes`, then
/// the notes. Passwords are masked: plans end up in logs.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ops.is_empty() {
            writeln!(f, "no changes")?;
        }
        let path_width = self
            .ops
            .iter()
            .map(|op| op.menu.path().len())
            .max()
            .unwrap_or(0);
        for op in &self.ops {
            op.write_line(f, path_width)?;
            writeln!(f)?;
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}

fn display_value(name: &str, value: &str) -> String {
    if name == "password" && !value.is_empty() {
        "***".to_owned()
    } else if value.is_empty() || value.contains(char::is_whitespace) {
        format!("{value:?}")
    } else {
        value.to_owned()
    }
}

/// A plan the guard rails refused, with every reason that applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Sentences an operator understands, naming counts and the override to use.
    pub reasons: Vec<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plan refused:")?;
        for reason in &self.reasons {
            write!(f, "\n- {reason}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

/// Computes the operations that bring the router's managed entries to the desired state, or
/// refuses when the desired state is invalid or the plan trips a guard rail.
///
/// Order: (1) add/set profiles, PPP then hotspot; (2) remove managed entries no longer desired;
/// (3) set changed entries; (4) add new entries; (5) kick sessions; (6) remove managed profiles
/// no longer desired. Within a group, by menu, then by name.
pub fn plan(desired: &Desired, observed: &Observed, policy: &Policy) -> Result<Plan, Refusal> {
    if let Err(errors) = desired.validate() {
        return Err(Refusal {
            reasons: errors.iter().map(ToString::to_string).collect(),
        });
    }

    let mut wanted = wanted_entries(desired, policy);
    for entries in wanted.values_mut() {
        entries.sort_by(|a, b| a.identity.cmp(&b.identity));
    }
    let no_entries: &[Wanted] = &[];
    let wanted_in = |menu: Menu| wanted.get(&menu).map_or(no_entries, Vec::as_slice);
    let mut by_menu: BTreeMap<Menu, Reconciled> = PROFILE_MENUS
        .into_iter()
        .chain(SUBSCRIBER_MENUS)
        .map(|menu| (menu, reconcile(menu, wanted_in(menu), observed, policy)))
        .collect();
    let profile_notes = keep_profiles_in_use(&mut by_menu, wanted_in);

    let reasons: Vec<String> = missing_walled_garden_profiles(desired, observed, policy)
        .into_iter()
        .chain(too_destructive(&by_menu, observed, policy))
        .chain(unexpectedly_empty(desired, observed, policy))
        .collect();
    if !reasons.is_empty() {
        return Err(Refusal { reasons });
    }
    let mut plan = into_ordered_plan(by_menu);
    plan.notes.extend(profile_notes);
    Ok(plan)
}

/// Drops the removal of profiles no longer desired that logins will still use after the plan,
/// and says so.
fn keep_profiles_in_use<'w>(
    by_menu: &mut BTreeMap<Menu, Reconciled>,
    wanted_in: impl Fn(Menu) -> &'w [Wanted],
) -> Vec<String> {
    let mut notes = Vec::new();
    for (login_menu, profile_menu) in LOGIN_PROFILES {
        let in_use = profiles_in_use(&by_menu[&login_menu].untouched, wanted_in(login_menu));
        let profiles = by_menu
            .get_mut(&profile_menu)
            .expect("every profile menu is reconciled");
        profiles.removes.retain(|op| {
            let still_used =
                op.reason == Some(NO_LONGER_DESIRED) && in_use.contains(op.name.as_str());
            if still_used {
                notes.push(format!(
                    "{profile_menu} {:?} is no longer desired but still in use; kept",
                    op.name
                ));
            }
            !still_used
        });
    }
    notes
}

/// Removals and new disables/suspensions beyond the share one run may make.
fn too_destructive(
    by_menu: &BTreeMap<Menu, Reconciled>,
    observed: &Observed,
    policy: &Policy,
) -> Option<String> {
    let n_managed = count_managed(observed, PROFILE_MENUS.iter().chain(&SUBSCRIBER_MENUS));
    let n_destructive: usize = by_menu
        .values()
        .map(|r| r.removes.len() + r.newly_restricted)
        .sum();
    let n_allowed = policy
        .destructive_floor
        .max(share_of(policy.max_destructive_share, n_managed));
    (n_destructive > n_allowed && !policy.allow_mass_changes).then(|| {
        format!(
            "the plan would remove or newly disable/suspend {n_destructive} managed entries, more \
             than the {n_allowed} one run may change ({} of the {n_managed} managed entries on the \
             router, at least {}); check the desired state, then re-run with allow_mass_changes to \
             apply it",
            percent(policy.max_destructive_share),
            policy.destructive_floor,
        )
    })
}

/// An empty desired state against a router with managed subscriber entries: more likely a
/// controller that lost its data than an ISP without subscribers.
fn unexpectedly_empty(desired: &Desired, observed: &Observed, policy: &Policy) -> Option<String> {
    let wants_nothing = desired.secrets.is_empty()
        && desired.hotspot_users.is_empty()
        && desired.queues.is_empty()
        && desired.address_lists.is_empty();
    let n_managed = count_managed(observed, &SUBSCRIBER_MENUS);
    (wants_nothing && n_managed > 0 && !policy.allow_empty_desired).then(|| {
        format!(
            "the desired state has no secrets, hotspot users, queues or address-list entries, but \
             the router holds {n_managed} managed ones; an empty state usually means the \
             controller lost its data, so nothing is removed unless the run sets \
             allow_empty_desired"
        )
    })
}

/// Puts the operations of every menu in the plan's order (see [`plan`]).
fn into_ordered_plan(mut by_menu: BTreeMap<Menu, Reconciled>) -> Plan {
    let mut notes = Vec::new();
    let mut take_menus = |menus: &[Menu]| -> Vec<Reconciled> {
        let mut taken: Vec<Reconciled> = menus
            .iter()
            .map(|menu| by_menu.remove(menu).expect("every menu is reconciled"))
            .collect();
        notes.extend(taken.iter_mut().flat_map(|r| std::mem::take(&mut r.notes)));
        taken
    };
    let mut profiles = take_menus(&PROFILE_MENUS);
    let mut subscribers = take_menus(&SUBSCRIBER_MENUS);
    let mut ops = Vec::new();
    for r in &mut profiles {
        let sets = std::mem::take(&mut r.sets).into_iter().map(|set| set.op);
        ops.extend(sorted_by_name(
            std::mem::take(&mut r.adds)
                .into_iter()
                .chain(sets)
                .collect(),
        ));
    }
    for r in &mut subscribers {
        ops.extend(sorted_by_name(std::mem::take(&mut r.removes)));
    }
    for r in &mut subscribers {
        ops.extend(order_renames(std::mem::take(&mut r.sets)));
    }
    for r in &mut subscribers {
        ops.extend(sorted_by_name(std::mem::take(&mut r.adds)));
    }
    for r in &mut subscribers {
        ops.extend(sorted_by_name(
            std::mem::take(&mut r.kicks).into_values().collect(),
        ));
    }
    for r in &mut profiles {
        ops.extend(sorted_by_name(std::mem::take(&mut r.removes)));
    }
    Plan { ops, notes }
}

/// With walled-garden suspension, the walled-garden profile must exist by the time a suspended
/// login is moved to it.
fn missing_walled_garden_profiles(
    desired: &Desired,
    observed: &Observed,
    policy: &Policy,
) -> Vec<String> {
    let Suspension::WalledGarden {
        ppp_profile,
        hotspot_profile,
    } = &policy.suspension
    else {
        return Vec::new();
    };
    let on_router = |menu: Menu, name: &str| {
        observed
            .rows(menu)
            .iter()
            .any(|row| row.get("name") == Some(name))
    };
    let mut reasons = Vec::new();
    if desired.secrets.iter().any(|s| s.suspended)
        && !desired.ppp_profiles.iter().any(|p| &p.name == ppp_profile)
        && !on_router(Menu::PppProfile, ppp_profile)
    {
        reasons.push(format!(
            "the walled-garden PPP profile {ppp_profile:?} is neither desired nor on the router, so \
             suspended secrets cannot be moved to it; add it to the desired PPP profiles or create it on the router"
        ));
    }
    if let Some(hotspot_profile) = hotspot_profile {
        if desired.hotspot_users.iter().any(|u| u.suspended)
            && !desired
                .hotspot_profiles
                .iter()
                .any(|p| &p.name == hotspot_profile)
            && !on_router(Menu::HotspotUserProfile, hotspot_profile)
        {
            reasons.push(format!(
                "the walled-garden hotspot profile {hotspot_profile:?} is neither desired nor on the \
                 router, so suspended hotspot users cannot be moved to it; add it to the desired \
                 hotspot profiles or create it on the router"
            ));
        }
    }
    reasons
}

/// Profiles that logins will use after the plan: those of rows left as they are, and those
/// the desired logins name. A login without a profile uses `default`.
fn profiles_in_use<'a>(untouched: &[&'a Row], wanted: &'a [Wanted]) -> BTreeSet<&'a str> {
    let untouched_profiles = untouched
        .iter()
        .map(|row| row.get("profile").unwrap_or("default"));
    untouched_profiles
        .chain(wanted.iter().filter_map(|entry| entry.value("profile")))
        .collect()
}

fn count_managed<'m>(observed: &Observed, menus: impl IntoIterator<Item = &'m Menu>) -> usize {
    menus
        .into_iter()
        .flat_map(|menu| observed.rows(*menu))
        .filter(|row| is_managed(row.get("comment")))
        .count()
}

/// `ceil(share × n)`; a negative or NaN share allows nothing beyond the floor.
fn share_of(share: f64, n: usize) -> usize {
    // `as` saturates: NaN and negatives become 0.
    (share * n as f64).ceil() as usize
}

fn percent(share: f64) -> String {
    let percent = share * 100.0;
    if (percent - percent.round()).abs() < 1e-9 {
        format!("{}%", percent.round())
    } else {
        format!("{percent:.1}%")
    }
}

fn sorted_by_name(mut ops: Vec<Op>) -> Vec<Op> {
    ops.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    ops
}

/// Orders a menu's `set`s so a rename into a name comes after the rename away from it, as the
/// router refuses two entries of one name. A cycle of renames (alice↔bob) is broken by first
/// moving one entry to a temporary name.
fn order_renames(sets: Vec<PlannedSet>) -> Vec<Op> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Pending,
        OnPath,
        Done,
    }
    let mut sets = sets;
    sets.sort_by(|a, b| (&a.from, &a.op.id).cmp(&(&b.from, &b.op.id)));
    let vacating: HashMap<&str, usize> = sets
        .iter()
        .enumerate()
        .filter(|(_, set)| set.from != set.to)
        .map(|(index, set)| (set.from.as_str(), index))
        .collect();
    // The set that must run before `index`: the one moving away from the name it moves to.
    let must_wait_for = |index: usize| {
        let set = &sets[index];
        if set.from == set.to {
            return None;
        }
        vacating
            .get(set.to.as_str())
            .copied()
            .filter(|&other| other != index)
    };

    let mut state = vec![State::Pending; sets.len()];
    let mut order = Vec::with_capacity(sets.len());
    for start in 0..sets.len() {
        if state[start] != State::Pending {
            continue;
        }
        let mut path = Vec::new();
        let mut current = start;
        loop {
            state[current] = State::OnPath;
            path.push(current);
            match must_wait_for(current) {
                Some(next) if state[next] == State::Pending => current = next,
                Some(next) if state[next] == State::OnPath => {
                    order.push(temporary_rename(&sets[next]));
                    break;
                }
                _ => break,
            }
        }
        for index in path.into_iter().rev() {
            state[index] = State::Done;
            order.push(sets[index].op.clone());
        }
    }
    order
}

fn temporary_rename(set: &PlannedSet) -> Op {
    Op {
        props: vec![("name".to_owned(), format!("{}~setu-swap", set.from))],
        reason: Some("frees the name for a swap"),
        ..set.op.clone()
    }
}
