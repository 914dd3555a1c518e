//! Shadow mode: what Setu would take over on a router it starts managing, changing nothing.

use std::collections::BTreeSet;
use std::fmt;

use crate::desired::Desired;
use crate::marker::is_managed;
use crate::policy::Policy;
use crate::router::{Menu, Observed};
use crate::wanted::{identity_of, key_of, wanted_entries};

/// What adopting a router would do. Entries are written `<menu path> <name>`, e.g.
/// `/ppp/secret alice`; address-list entries are named `list:address`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdoptionReport {
    /// Unmanaged entries whose name matches a desired entry (taken over with
    /// `adopt_matching_names`, otherwise reported as conflicts).
    pub would_take_over: Vec<String>,
    /// Entries that already carry the setu marker.
    pub already_managed: usize,
    /// Unmanaged entries no desired entry names; Setu never touches them.
    pub left_alone: Vec<String>,
    /// Desired entries with no row on the router yet.
    pub would_create: Vec<String>,
    /// Managed entries that are no longer desired.
    pub would_remove: Vec<String>,
}

/// Reads the router's configuration menus against the desired state and reports what Setu
/// would take over, create, remove and leave alone. Changes nothing.
pub fn adopt(desired: &Desired, observed: &Observed) -> AdoptionReport {
    // Suspension only changes property values, never which row is whose.
    let wanted = wanted_entries(desired, &Policy::default());
    let mut report = AdoptionReport::default();
    for menu in Menu::ALL.into_iter().filter(|menu| !menu.is_session_menu()) {
        let rows = observed.rows(menu);
        let entries = wanted.get(&menu).map_or(&[][..], Vec::as_slice);
        let wanted_keys: BTreeSet<_> = entries.iter().map(|entry| &entry.key).collect();
        let mut managed_keys = BTreeSet::new();
        let mut unmanaged = BTreeSet::new();
        for row in rows {
            let identity = identity_of(menu, row);
            if is_managed(row.get("comment")) {
                report.already_managed += 1;
                let key = key_of(menu, row);
                if !key.as_ref().is_some_and(|key| wanted_keys.contains(key)) {
                    report.would_remove.push(format!("{menu} {identity}"));
                }
                managed_keys.extend(key);
            } else {
                unmanaged.insert(identity);
            }
        }
        let mut taken_over = BTreeSet::new();
        let mut sorted_entries: Vec<_> = entries.iter().collect();
        sorted_entries.sort_by(|a, b| a.identity.cmp(&b.identity));
        for entry in sorted_entries {
            if unmanaged.contains(&entry.identity) {
                taken_over.insert(entry.identity.as_str());
                report
                    .would_take_over
                    .push(format!("{menu} {}", entry.identity));
            } else if !managed_keys.contains(&entry.key) {
                report
                    .would_create
                    .push(format!("{menu} {}", entry.identity));
            }
        }
        let not_taken = unmanaged
            .iter()
            .filter(|identity| !taken_over.contains(identity.as_str()));
        report
            .left_alone
            .extend(not_taken.map(|identity| format!("{menu} {identity}")));
    }
    report
}

impl fmt::Display for AdoptionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "shadow mode, nothing changed; {} entries already managed",
            self.already_managed
        )?;
        let sections = [
            ("would take over", &self.would_take_over),
            ("would create", &self.would_create),
            ("would remove", &self.would_remove),
            ("left alone", &self.left_alone),
        ];
        for (title, entries) in sections {
            writeln!(f, "{title}: {}", entries.len())?;
            for entry in entries {
                writeln!(f, "  {entry}")?;
            }
        }
        Ok(())
    }
}
