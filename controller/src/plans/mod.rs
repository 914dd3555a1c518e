//! Plans: a speed and a monthly price. A change reaches every router that serves the plan
//! (through `fleet::service::desired_changed`, in the same unit of work).

pub mod api;
pub mod pages;
pub mod service;
pub mod store;

use crate::kernel::http::page::NavItem;
use crate::kernel::http::Routes;
use crate::kernel::i18n::Message;
use crate::kernel::rbac::{Grant, Permission};
use crate::kernel::Domain;

pub const MANAGE: Permission = Permission::new("plans.manage");

pub const DOMAIN: Domain = Domain {
    name: "plans",
    routes,
    grants: &[Grant {
        permission: MANAGE,
        en: "Manage plans",
        bn: "প্যাকেজ পরিচালনা",
        roles: &["manager"],
        platform_only: false,
    }],
    // Anyone who may see subscribers may see the plans they are on.
    nav: &[NavItem {
        href: "/plans",
        label: "nav.plans",
        needs: Some(crate::subscribers::VIEW),
        position: 20,
    }],
    catalogue: CATALOGUE,
    jobs: &[],
    schedules: &[],
};

fn routes(r: Routes) -> Routes {
    pages::routes(api::routes(r))
}

pub const CATALOGUE: &[Message] = &[
    ("nav.plans", "Plans", "প্যাকেজ"),
    ("plans.title", "Plans", "প্যাকেজ"),
    ("plans.name", "Plan name", "প্যাকেজের নাম"),
    ("plans.download", "Download", "ডাউনলোড"),
    ("plans.upload", "Upload", "আপলোড"),
    ("plans.burst_download", "Burst download", "বার্স্ট ডাউনলোড"),
    ("plans.burst_upload", "Burst upload", "বার্স্ট আপলোড"),
    ("plans.price", "Monthly price (৳)", "মাসিক মূল্য (৳)"),
    ("plans.with_tax", "With VAT", "ভ্যাটসহ"),
    (
        "plans.cap_hint",
        "BTRC's monthly cap for this speed tier; the plan is still billed at its price.",
        "এই গতির জন্য বিটিআরসির মাসিক সর্বোচ্চ মূল্য; প্যাকেজটি তার নিজের দামেই বিল হবে।",
    ),
    ("plans.speed", "Speed", "গতি"),
    ("plans.burst", "Burst", "বার্স্ট"),
    ("plans.profile", "Router profile", "রাউটার প্রোফাইল"),
    ("plans.create", "Add plan", "প্যাকেজ যোগ করুন"),
    (
        "plans.rate_hint",
        "Rates like 10M or 512k; burst both or neither.",
        "গতি যেমন 10M বা 512k; বার্স্ট দুটিই দিন বা কোনোটিই নয়।",
    ),
    (
        "plans.bad_rate",
        "Use a rate like 10M or 512k.",
        "10M বা 512k এর মতো গতি লিখুন।",
    ),
    (
        "plans.burst_pair",
        "Give both burst rates, or neither.",
        "দুটি বার্স্ট গতিই দিন, অথবা কোনোটিই নয়।",
    ),
    (
        "plans.bad_price",
        "Enter a price in taka, e.g. 500 or 499.50.",
        "টাকায় মূল্য লিখুন, যেমন ৫০০ বা ৪৯৯.৫০।",
    ),
    ("plans.rate_too_high", "At most 100G.", "সর্বোচ্চ 100G।"),
];
