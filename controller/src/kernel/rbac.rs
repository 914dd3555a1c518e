//! Permissions, and the roles every company starts with.
//!
//! Deny by default: every route declares the permission it needs when it is registered
//! (`kernel::http::Routes`), and a test walks the registry. Each domain declares its own
//! permissions (`GRANTS` in its `mod.rs`): the name, what the roles page calls it, and which
//! seeded roles hold it. A platform admin holds every permission in every company.

use super::i18n::Lang;
use serde::Serialize;
use std::sync::OnceLock;

/// A named permission, e.g. `subscribers.manage`. Domains define them as constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Permission(&'static str);

/// A permission as its domain declares it.
#[derive(Debug)]
pub struct Grant {
    pub permission: Permission,
    pub en: &'static str,
    pub bn: &'static str,
    /// Seeded roles holding it (the owner holds every company permission anyway).
    pub roles: &'static [&'static str],
    /// Only the platform admin holds it (never a company role).
    pub platform_only: bool,
}

/// The roles every new company gets, in the order the staff page lists them.
pub const SEEDED_ROLES: &[&str] = &[
    OWNER,
    "manager",
    "billing-clerk",
    "support",
    "technician",
    "collector",
    "reseller",
];

/// The seeded role that always holds every company permission and cannot be edited.
pub const OWNER: &str = "owner";

fn grants() -> &'static [&'static Grant] {
    static ALL: OnceLock<Vec<&'static Grant>> = OnceLock::new();
    ALL.get_or_init(|| crate::DOMAINS.iter().flat_map(|d| d.grants).collect())
}

impl Permission {
    pub const fn new(name: &'static str) -> Permission {
        Permission(name)
    }

    pub fn name(self) -> &'static str {
        self.0
    }

    fn grant(self) -> Option<&'static Grant> {
        grants().iter().copied().find(|g| g.permission == self)
    }

    /// Every permission some domain declares.
    pub fn all() -> impl Iterator<Item = Permission> {
        grants().iter().map(|g| g.permission)
    }

    pub fn from_name(name: &str) -> Option<Permission> {
        Permission::all().find(|p| p.name() == name)
    }

    /// Only the platform admin may hold it.
    pub fn is_platform_only(self) -> bool {
        self.grant().is_some_and(|g| g.platform_only)
    }

    /// What the roles and tokens pages call it.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self.grant(), lang) {
            (Some(g), Lang::En) => g.en,
            (Some(g), Lang::Bn) => g.bn,
            (None, _) => self.0,
        }
    }
}

/// The seeded roles with their permissions.
pub fn seeded_roles() -> Vec<(&'static str, Vec<Permission>)> {
    SEEDED_ROLES
        .iter()
        .map(|role| {
            let held = grants()
                .iter()
                .filter(|g| !g.platform_only && (*role == OWNER || g.roles.contains(role)))
                .map(|g| g.permission)
                .collect();
            (*role, held)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = Permission::all().map(|p| p.name()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        for p in Permission::all() {
            assert_eq!(Permission::from_name(p.name()), Some(p));
            assert!(!p.label(Lang::Bn).is_empty());
        }
    }

    #[test]
    fn grants_name_only_seeded_roles() {
        for g in grants() {
            for role in g.roles {
                assert!(
                    SEEDED_ROLES.contains(role),
                    "{} names {role}",
                    g.permission.name()
                );
            }
        }
    }

    #[test]
    fn no_seeded_role_holds_a_platform_permission() {
        for (role, perms) in seeded_roles() {
            assert!(perms.iter().all(|p| !p.is_platform_only()), "{role}");
        }
        let (_, owner) = &seeded_roles()[0];
        assert_eq!(
            owner.len(),
            Permission::all().filter(|p| !p.is_platform_only()).count()
        );
    }
}
