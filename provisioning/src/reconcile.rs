//! Matching one menu's desired entries to the router's rows, and the operations that follow.

use std::collections::{BTreeMap, BTreeSet};

use crate::marker::is_managed;
use crate::plan::{Action, Op};
use crate::policy::Policy;
use crate::router::{compare_ids, Menu, Observed, Row};
use crate::wanted::{identity_of, key_of, observed_restricted, sessions_of, Field, Key, Wanted};

/// Why a managed row is removed (also the reason shown in the plan).
pub(crate) const NO_LONGER_DESIRED: &str = "no longer desired";
const DUPLICATE: &str = "duplicate";

/// A `set`, with the identity it moves from and to, for ordering renames.
pub(crate) struct PlannedSet {
    pub op: Op,
    pub from: String,
    pub to: String,
}

/// The outcome for one menu.
#[derive(Default)]
pub(crate) struct Reconciled<'a> {
    pub removes: Vec<Op>,
    pub sets: Vec<PlannedSet>,
    pub adds: Vec<Op>,
    /// By session id, so a session is kicked once.
    pub kicks: BTreeMap<String, Op>,
    pub notes: Vec<String>,
    /// Existing rows that the plan makes disabled or suspended.
    pub newly_restricted: usize,
    /// Rows the plan leaves exactly as they are: unmanaged ones, and managed ones whose
    /// desired change is blocked.
    pub untouched: Vec<&'a Row>,
}

/// What happens to one desired entry.
enum Fate<'a> {
    Add,
    /// Update its managed row.
    Keep(&'a Row),
    /// Take over the unmanaged row of the same name.
    Adopt(&'a Row),
    /// Its name is held by a row that stays; nothing is done for it.
    Blocked(Holder),
}

#[derive(Clone, Copy)]
enum Holder {
    Unmanaged,
    Managed,
}

/// The router's rows of one menu, sorted out.
struct Rows<'a> {
    /// Managed rows by key, lowest id first.
    managed: BTreeMap<Key, Vec<&'a Row>>,
    /// Managed rows whose marker names no subscriber.
    strays: Vec<&'a Row>,
    unmanaged: Vec<&'a Row>,
}

impl<'a> Rows<'a> {
    fn sort_out(menu: Menu, rows: &'a [Row]) -> Rows<'a> {
        let mut sorted: Vec<&Row> = rows.iter().collect();
        sorted.sort_by(|a, b| compare_ids(&a.id, &b.id));
        let mut sorted_out = Rows {
            managed: BTreeMap::new(),
            strays: Vec::new(),
            unmanaged: Vec::new(),
        };
        for row in sorted {
            if !is_managed(row.get("comment")) {
                sorted_out.unmanaged.push(row);
            } else if let Some(key) = key_of(menu, row) {
                sorted_out.managed.entry(key).or_default().push(row);
            } else {
                sorted_out.strays.push(row);
            }
        }
        sorted_out
    }

    fn managed_for(&self, key: &Key) -> &[&'a Row] {
        self.managed.get(key).map_or(&[], Vec::as_slice)
    }
}

/// Plans one configuration menu. `wanted` must be sorted by identity.
pub(crate) fn reconcile<'a>(
    menu: Menu,
    wanted: &[Wanted],
    observed: &'a Observed,
    policy: &Policy,
) -> Reconciled<'a> {
    let rows = Rows::sort_out(menu, observed.rows(menu));
    let fates = decide(menu, wanted, &rows, policy.adopt_matching_names);
    let sessions = sessions_of(menu).map(|(session_menu, login_field)| Sessions {
        menu: session_menu,
        login_field,
        rows: observed.rows(session_menu),
    });
    let mut planner = MenuPlanner {
        menu,
        policy,
        sessions,
        out: Reconciled::default(),
    };

    let mut claimed_keys = BTreeSet::new();
    let mut adopted_ids = BTreeSet::new();
    for (entry, fate) in wanted.iter().zip(fates) {
        claimed_keys.insert(&entry.key);
        let managed = rows.managed_for(&entry.key);
        match fate {
            Fate::Add => planner.add(entry),
            Fate::Keep(row) => {
                planner.update(row, entry, None);
                planner.remove_all(&managed[1..], DUPLICATE);
            }
            Fate::Adopt(row) => {
                adopted_ids.insert(row.id.as_str());
                planner.update(row, entry, Some("adopted"));
                planner.remove_all(managed, DUPLICATE);
            }
            Fate::Blocked(holder) => {
                planner
                    .out
                    .notes
                    .push(blocked_note(menu, &entry.identity, holder));
                planner.out.untouched.extend(managed);
            }
        }
    }
    for (key, managed) in &rows.managed {
        if !claimed_keys.contains(key) {
            planner.remove_all(managed, NO_LONGER_DESIRED);
        }
    }
    planner.remove_all(&rows.strays, NO_LONGER_DESIRED);

    let left_alone: Vec<&Row> = rows
        .unmanaged
        .iter()
        .copied()
        .filter(|row| !adopted_ids.contains(row.id.as_str()))
        .collect();
    let n_worth_noting = left_alone
        .iter()
        .filter(|row| !is_builtin(menu, row))
        .count();
    if n_worth_noting > 0 {
        let entries = if n_worth_noting == 1 {
            "entry"
        } else {
            "entries"
        };
        planner.out.notes.push(format!(
            "{menu}: {n_worth_noting} {entries} without the setu marker left alone"
        ));
    }
    planner.out.untouched.extend(left_alone);
    planner.out
}

/// Decides each desired entry's fate. An entry that would take a name still held by a row that
/// stays (an unmanaged row, or a managed row whose own change is blocked) is blocked in turn,
/// until no such clash is left; blocking only grows, so this ends.
fn decide<'a>(menu: Menu, wanted: &[Wanted], rows: &Rows<'a>, adopt: bool) -> Vec<Fate<'a>> {
    let mut unmanaged_by_identity: BTreeMap<String, &Row> = BTreeMap::new();
    for row in &rows.unmanaged {
        unmanaged_by_identity
            .entry(identity_of(menu, row))
            .or_insert(row);
    }
    let mut blocked: BTreeMap<usize, Holder> = BTreeMap::new();
    loop {
        let fates: Vec<Fate> = wanted
            .iter()
            .enumerate()
            .map(|(index, entry)| match blocked.get(&index) {
                Some(holder) => Fate::Blocked(*holder),
                None => match unmanaged_by_identity.get(&entry.identity) {
                    Some(row) if adopt => Fate::Adopt(row),
                    _ => rows
                        .managed_for(&entry.key)
                        .first()
                        .map_or(Fate::Add, |row| Fate::Keep(row)),
                },
            })
            .collect();

        let adopted: BTreeSet<&str> = fates
            .iter()
            .filter_map(|fate| match fate {
                Fate::Adopt(row) => Some(row.id.as_str()),
                _ => None,
            })
            .collect();
        let mut held: BTreeMap<String, Holder> = BTreeMap::new();
        for row in rows
            .unmanaged
            .iter()
            .filter(|row| !adopted.contains(row.id.as_str()))
        {
            held.insert(identity_of(menu, row), Holder::Unmanaged);
        }
        for (entry, fate) in wanted.iter().zip(&fates) {
            if let Fate::Blocked(_) = fate {
                for row in rows.managed_for(&entry.key) {
                    held.entry(identity_of(menu, row))
                        .or_insert(Holder::Managed);
                }
            }
        }

        let mut newly_blocked = false;
        for (index, (entry, fate)) in wanted.iter().zip(&fates).enumerate() {
            let takes_new_identity = match fate {
                Fate::Add => true,
                Fate::Keep(row) => identity_of(menu, row) != entry.identity,
                Fate::Adopt(_) | Fate::Blocked(_) => false,
            };
            if let Some(holder) = held.get(&entry.identity).filter(|_| takes_new_identity) {
                blocked.insert(index, *holder);
                newly_blocked = true;
            }
        }
        if !newly_blocked {
            return fates;
        }
    }
}

fn blocked_note(menu: Menu, identity: &str, holder: Holder) -> String {
    match holder {
        Holder::Unmanaged => format!(
            "conflict: {menu} {identity:?} exists without the setu marker; left alone \
             (adopt_matching_names would take it over)"
        ),
        Holder::Managed => format!(
            "conflict: {menu} {identity:?} is held by another managed entry that cannot change \
             this run; left as is"
        ),
    }
}

/// The profiles every router has are not worth a note.
fn is_builtin(menu: Menu, row: &Row) -> bool {
    let name = row.get("name").unwrap_or_default();
    match menu {
        Menu::PppProfile => crate::desired::BUILTIN_PPP_PROFILES.contains(&name),
        Menu::HotspotUserProfile => crate::desired::BUILTIN_HOTSPOT_PROFILES.contains(&name),
        _ => false,
    }
}

fn add_op(menu: Menu, entry: &Wanted) -> Op {
    // The identifying properties are always written; the rest only when not the router's default.
    let props = entry
        .fields
        .iter()
        .enumerate()
        .filter(|(index, field)| {
            *index == 0 || field.name == "comment" || !field.is_router_default()
        })
        .map(|(_, field)| (field.name.to_owned(), field.value.clone()))
        .collect();
    Op {
        menu,
        action: Action::Add,
        id: None,
        name: entry.identity.clone(),
        props,
        reason: None,
    }
}

/// The live sessions of a login menu.
struct Sessions<'a> {
    menu: Menu,
    /// The session property holding the login name.
    login_field: &'static str,
    rows: &'a [Row],
}

struct MenuPlanner<'p, 'a> {
    menu: Menu,
    policy: &'p Policy,
    sessions: Option<Sessions<'a>>,
    out: Reconciled<'a>,
}

impl MenuPlanner<'_, '_> {
    fn add(&mut self, entry: &Wanted) {
        // A session may already run under the name (a login removed earlier, or RADIUS); a
        // disabled login keeps none.
        if let Some(kick_reason) = kick_reason(entry, &[]) {
            self.kick_sessions_of(&entry.identity, kick_reason);
        }
        self.out.adds.push(add_op(self.menu, entry));
    }

    /// Brings a row in line with its desired entry.
    fn update(&mut self, row: &Row, entry: &Wanted, reason: Option<&'static str>) {
        let identity = identity_of(self.menu, row);
        let changed: Vec<&Field> = entry
            .fields
            .iter()
            .filter(|field| !field.matches(row))
            .collect();
        if entry.restricted() && !observed_restricted(self.menu, row, self.policy) {
            self.out.newly_restricted += 1;
        }
        if let Some(kick_reason) = kick_reason(entry, &changed) {
            self.kick_sessions_of(&identity, kick_reason);
            if entry.disabled {
                // Renamed onto a name that has a session of its own.
                self.kick_sessions_of(&entry.identity, kick_reason);
            }
        }
        if !changed.is_empty() {
            let props = changed
                .iter()
                .map(|field| (field.name.to_owned(), field.value.clone()))
                .collect();
            let op = Op {
                menu: self.menu,
                action: Action::Set,
                id: Some(row.id.clone()),
                name: identity.clone(),
                props,
                reason,
            };
            self.out.sets.push(PlannedSet {
                op,
                from: identity,
                to: entry.identity.clone(),
            });
        }
    }

    fn remove_all(&mut self, rows: &[&Row], reason: &'static str) {
        for row in rows {
            let identity = identity_of(self.menu, row);
            self.kick_sessions_of(&identity, "removed");
            self.out.removes.push(Op {
                menu: self.menu,
                action: Action::Remove,
                id: Some(row.id.clone()),
                name: identity,
                props: Vec::new(),
                reason: Some(reason),
            });
        }
    }

    fn kick_sessions_of(&mut self, login: &str, reason: &'static str) {
        let Some(sessions) = &self.sessions else {
            return;
        };
        if login.is_empty() {
            return;
        }
        for session in sessions
            .rows
            .iter()
            .filter(|s| s.get(sessions.login_field) == Some(login))
        {
            self.out
                .kicks
                .entry(session.id.clone())
                .or_insert_with(|| Op {
                    menu: sessions.menu,
                    action: Action::Remove,
                    id: Some(session.id.clone()),
                    name: login.to_owned(),
                    props: Vec::new(),
                    reason: Some(reason),
                });
        }
    }
}

/// Why a login's live session must end, if it must: a disabled login keeps no session, and a
/// session keeps the name, password and profile it logged in with until it reconnects.
fn kick_reason(entry: &Wanted, changed: &[&Field]) -> Option<&'static str> {
    let changed = |name: &str| changed.iter().any(|field| field.name == name);
    let credentials_changed = changed("name") || changed("password") || changed("profile");
    if !entry.disabled && !credentials_changed {
        return None;
    }
    Some(if entry.suspended {
        "suspended"
    } else if entry.disabled {
        "disabled"
    } else if changed("name") {
        "renamed"
    } else if changed("password") {
        "password changed"
    } else {
        "profile changed"
    })
}
