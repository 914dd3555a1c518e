//! Subscribers: who gets service on which router under which plan. Every change reaches the
//! router through the fleet link.

pub mod api;
pub mod pages;
pub mod service;
pub mod store;

use crate::kernel::http::page::NavItem;
use crate::kernel::http::Routes;
use crate::kernel::i18n::Message;
use crate::kernel::rbac::{Grant, Permission};
use crate::kernel::Domain;

pub const VIEW: Permission = Permission::new("subscribers.view");
pub const MANAGE: Permission = Permission::new("subscribers.manage");

pub const DOMAIN: Domain = Domain {
    name: "subscribers",
    routes,
    grants: &[
        Grant {
            permission: VIEW,
            en: "See subscribers",
            bn: "গ্রাহক দেখা",
            roles: &[
                "manager",
                "billing-clerk",
                "support",
                "collector",
                "reseller",
            ],
            platform_only: false,
        },
        Grant {
            permission: MANAGE,
            en: "Manage subscribers",
            bn: "গ্রাহক পরিচালনা",
            roles: &["manager", "support", "reseller"],
            platform_only: false,
        },
    ],
    nav: &[NavItem {
        href: "/subscribers",
        label: "nav.subscribers",
        needs: Some(VIEW),
        position: 10,
    }],
    catalogue: CATALOGUE,
    jobs: &[],
    schedules: &[],
};

fn routes(r: Routes) -> Routes {
    pages::routes(api::routes(r))
}

pub const CATALOGUE: &[Message] = &[
    ("nav.subscribers", "Subscribers", "গ্রাহক"),
    ("subscribers.title", "Subscribers", "গ্রাহকবৃন্দ"),
    ("subscribers.plan", "Plan", "প্যাকেজ"),
    (
        "subscribers.pppoe_username",
        "PPPoE username",
        "PPPoE ইউজারনেম",
    ),
    (
        "subscribers.pppoe_password",
        "PPPoE password",
        "PPPoE পাসওয়ার্ড",
    ),
    ("subscribers.create", "Add subscriber", "গ্রাহক যোগ করুন"),
    ("subscribers.more", "Next page", "পরের পাতা"),
    ("subscribers.active", "active", "সক্রিয়"),
    ("subscribers.suspended", "suspended", "স্থগিত"),
    ("subscribers.terminated", "terminated", "বন্ধ"),
    ("subscribers.suspend", "Suspend", "স্থগিত করুন"),
    ("subscribers.reconnect", "Reconnect", "পুনঃসংযোগ"),
    (
        "subscribers.bad_username",
        "1–64 characters: letters, digits, dot, dash, underscore, @.",
        "১–৬৪ অক্ষর: অক্ষর, সংখ্যা, ডট, ড্যাশ, আন্ডারস্কোর, @।",
    ),
    (
        "subscribers.bad_password",
        "4–64 visible characters, no spaces.",
        "৪–৬৪টি দৃশ্যমান অক্ষর, ফাঁকা নয়।",
    ),
    (
        "subscribers.bad_status",
        "Status is active, suspended or terminated.",
        "অবস্থা: সক্রিয়, স্থগিত বা বন্ধ।",
    ),
    (
        "subscribers.unknown_router",
        "Choose a router of this company.",
        "এই প্রতিষ্ঠানের একটি রাউটার বেছে নিন।",
    ),
    (
        "subscribers.unknown_plan",
        "Choose a plan of this company.",
        "এই প্রতিষ্ঠানের একটি প্যাকেজ বেছে নিন।",
    ),
];
