//! Tenancy: companies (the platform admin's ISPs), their branches, and each company's profile
//! (the settings page); the dashboard.
//!
//! Every company starts with the seeded roles; a branch-limited member sees only their branch.

pub mod api;
pub mod pages;
pub mod service;
pub mod store;

use crate::kernel::http::page::NavItem;
use crate::kernel::http::Routes;
use crate::kernel::i18n::Message;
use crate::kernel::rbac::{Grant, Permission};
use crate::kernel::Domain;

pub const DASHBOARD_VIEW: Permission = Permission::new("dashboard.view");
pub const BRANCHES_VIEW: Permission = Permission::new("branches.view");
pub const BRANCHES_MANAGE: Permission = Permission::new("branches.manage");
pub const SETTINGS_MANAGE: Permission = Permission::new("settings.manage");
pub const COMPANIES_MANAGE: Permission = Permission::new("companies.manage");

pub const DOMAIN: Domain = Domain {
    name: "tenancy",
    routes,
    grants: &[
        Grant {
            permission: DASHBOARD_VIEW,
            en: "See the dashboard",
            bn: "ড্যাশবোর্ড দেখা",
            roles: &[
                "manager",
                "billing-clerk",
                "support",
                "technician",
                "collector",
                "reseller",
            ],
            platform_only: false,
        },
        Grant {
            permission: BRANCHES_VIEW,
            en: "See branches",
            bn: "শাখা দেখা",
            roles: &["manager", "billing-clerk", "support", "technician"],
            platform_only: false,
        },
        Grant {
            permission: BRANCHES_MANAGE,
            en: "Manage branches",
            bn: "শাখা পরিচালনা",
            roles: &["manager"],
            platform_only: false,
        },
        Grant {
            permission: SETTINGS_MANAGE,
            en: "Change company settings",
            bn: "প্রতিষ্ঠানের সেটিংস পরিবর্তন",
            roles: &[],
            platform_only: false,
        },
        Grant {
            permission: COMPANIES_MANAGE,
            en: "Manage companies",
            bn: "প্রতিষ্ঠান পরিচালনা",
            roles: &[],
            platform_only: true,
        },
    ],
    nav: &[
        NavItem {
            href: "/",
            label: "nav.dashboard",
            needs: Some(DASHBOARD_VIEW),
            position: 0,
        },
        NavItem {
            href: "/branches",
            label: "nav.branches",
            needs: Some(BRANCHES_VIEW),
            position: 50,
        },
        NavItem {
            href: "/settings",
            label: "nav.settings",
            needs: Some(SETTINGS_MANAGE),
            position: 90,
        },
        NavItem {
            href: "/companies",
            label: "nav.companies",
            needs: Some(COMPANIES_MANAGE),
            position: 100,
        },
    ],
    catalogue: CATALOGUE,
    jobs: &[],
    schedules: &[],
};

fn routes(r: Routes) -> Routes {
    pages::routes(api::routes(r))
}

pub const CATALOGUE: &[Message] = &[
    ("nav.dashboard", "Dashboard", "ড্যাশবোর্ড"),
    ("nav.branches", "Branches", "শাখা"),
    ("dashboard.title", "Dashboard", "ড্যাশবোর্ড"),
    ("dashboard.welcome", "Welcome", "স্বাগতম"),
    ("dashboard.branches", "Branches", "শাখা"),
    ("dashboard.role", "Your role", "আপনার ভূমিকা"),
    ("branches.title", "Branches", "শাখাসমূহ"),
    ("branches.name", "Branch name", "শাখার নাম"),
    ("branches.create", "Add branch", "শাখা যোগ করুন"),
    ("branches.none", "No branches yet.", "এখনো কোনো শাখা নেই।"),
    ("branches.created", "Branch added.", "শাখা যোগ হয়েছে।"),
    ("branches.created_at", "Added", "যোগের সময়"),
    ("nav.settings", "Settings", "সেটিংস"),
    ("nav.companies", "Companies", "প্রতিষ্ঠান"),
    ("dashboard.company", "Company", "প্রতিষ্ঠান"),
    ("companies.title", "Companies", "প্রতিষ্ঠানসমূহ"),
    ("companies.name", "Company name", "প্রতিষ্ঠানের নাম"),
    ("companies.create", "Add company", "প্রতিষ্ঠান যোগ করুন"),
    ("settings.title", "Company settings", "প্রতিষ্ঠানের সেটিংস"),
    ("settings.legal_name", "Legal name", "আইনি নাম"),
    ("settings.phone", "Phone", "ফোন"),
    ("settings.address", "Address", "ঠিকানা"),
    (
        "settings.licence_no",
        "BTRC licence number",
        "বিটিআরসি লাইসেন্স নম্বর",
    ),
    ("settings.save", "Save settings", "সেটিংস সংরক্ষণ করুন"),
    (
        "settings.bin",
        "VAT registration (BIN)",
        "ভ্যাট নিবন্ধন (বিআইএন)",
    ),
    (
        "settings.bad_bin",
        "A BIN is 9 to 13 digits, e.g. 000123456-0101.",
        "বিআইএন ৯ থেকে ১৩ অঙ্কের, যেমন 000123456-0101।",
    ),
    (
        "settings.bad_phone",
        "Enter a Bangladeshi number, e.g. 01712-345678.",
        "বাংলাদেশি নম্বর লিখুন, যেমন ০১৭১২-৩৪৫৬৭৮।",
    ),
];
