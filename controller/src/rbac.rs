//! Permissions and the roles seeded for every company.
//!
//! Deny by default: every route declares the permission it needs when it is registered
//! (`http::Routes`), and a test walks the registry. A platform admin holds every permission in
//! every company.

use serde::Serialize;

macro_rules! permissions {
    ($($variant:ident => $name:literal),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum Permission { $($variant),* }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Permission::$variant => $name),* }
            }
        }
    };
}

permissions! {
    DashboardView => "dashboard.view",
    BranchesView => "branches.view",
    BranchesManage => "branches.manage",
    UsersView => "users.view",
    UsersManage => "users.manage",
    RolesManage => "roles.manage",
    AuditView => "audit.view",
    SettingsManage => "settings.manage",
    SubscribersView => "subscribers.view",
    SubscribersManage => "subscribers.manage",
    PlansManage => "plans.manage",
    BillingRun => "billing.run",
    PaymentsCollect => "payments.collect",
    RoutersView => "routers.view",
    RoutersManage => "routers.manage",
    CompaniesManage => "companies.manage",
}

impl Permission {
    pub fn from_name(name: &str) -> Option<Permission> {
        Permission::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// Only the platform admin may manage companies.
    pub fn is_platform_only(self) -> bool {
        self == Permission::CompaniesManage
    }
}

/// The roles every new company starts with.
pub fn seeded_roles() -> Vec<(&'static str, Vec<Permission>)> {
    use Permission::*;
    let all_company: Vec<Permission> = Permission::ALL
        .iter()
        .copied()
        .filter(|p| !p.is_platform_only())
        .collect();
    vec![
        ("owner", all_company),
        (
            "manager",
            vec![
                DashboardView,
                BranchesView,
                BranchesManage,
                UsersView,
                UsersManage,
                AuditView,
                SubscribersView,
                SubscribersManage,
                PlansManage,
                BillingRun,
                PaymentsCollect,
                RoutersView,
            ],
        ),
        (
            "billing-clerk",
            vec![
                DashboardView,
                BranchesView,
                SubscribersView,
                BillingRun,
                PaymentsCollect,
            ],
        ),
        (
            "support",
            vec![
                DashboardView,
                BranchesView,
                SubscribersView,
                SubscribersManage,
                RoutersView,
            ],
        ),
        (
            "technician",
            vec![DashboardView, BranchesView, RoutersView, RoutersManage],
        ),
        (
            "collector",
            vec![DashboardView, SubscribersView, PaymentsCollect],
        ),
        (
            "reseller",
            vec![
                DashboardView,
                SubscribersView,
                SubscribersManage,
                PaymentsCollect,
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = Permission::ALL.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Permission::ALL.len());
        for p in Permission::ALL {
            assert_eq!(Permission::from_name(p.name()), Some(*p));
        }
    }

    #[test]
    fn no_seeded_role_can_manage_companies() {
        for (role, perms) in seeded_roles() {
            assert!(!perms.contains(&Permission::CompaniesManage), "{role}");
        }
    }
}
