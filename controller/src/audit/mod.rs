//! The audit log as staff read it: filters (action, entity, who, Dhaka dates), newest first, a
//! CSV export. Writing it is the kernel's (`kernel::audit`, inside every unit of work).

pub mod api;
pub mod pages;

use crate::kernel::http::page::NavItem;
use crate::kernel::http::Routes;
use crate::kernel::i18n::Message;
use crate::kernel::rbac::{Grant, Permission};
use crate::kernel::Domain;

pub const VIEW: Permission = Permission::new("audit.view");

pub const DOMAIN: Domain = Domain {
    name: "audit",
    routes,
    grants: &[Grant {
        permission: VIEW,
        en: "See the audit log",
        bn: "অডিট লগ দেখা",
        roles: &["manager"],
        platform_only: false,
    }],
    nav: &[NavItem {
        href: "/audit",
        label: "nav.audit",
        needs: Some(VIEW),
        position: 80,
    }],
    catalogue: CATALOGUE,
    jobs: &[],
    schedules: &[],
};

fn routes(r: Routes) -> Routes {
    pages::routes(api::routes(r))
}

pub const CATALOGUE: &[Message] = &[
    ("nav.audit", "Audit log", "অডিট লগ"),
    ("audit.title", "Audit log", "অডিট লগ"),
    ("audit.when", "When", "কখন"),
    ("audit.action", "Action", "কাজ"),
    ("audit.entity", "Entity", "বিষয়"),
    ("audit.actor", "Who", "কে"),
    ("audit.anyone", "Anyone", "যে কেউ"),
    ("audit.entity_id", "Entity id", "বিষয়ের আইডি"),
    ("audit.from", "From", "থেকে"),
    ("audit.until", "Until", "পর্যন্ত"),
    ("audit.filter", "Filter", "ছাঁকুন"),
    ("audit.export", "Export CSV", "CSV এক্সপোর্ট"),
    ("audit.older", "Older entries", "আগের এন্ট্রি"),
    (
        "audit.bad_date",
        "Use a date like 2026-11-25.",
        "২০২৬-১১-২৫ এর মতো তারিখ দিন।",
    ),
    (
        "audit.bad_actor",
        "Choose a staff member.",
        "একজন কর্মী বেছে নিন।",
    ),
];
