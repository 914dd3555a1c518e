//! Subscriptions: what a subscriber is billed for. A subscriber holds one or more (the one made
//! with them is primary: its plan is the one their router enforces); plan changes, pauses and
//! terminations are dated events kept as history. Billing what they cause happens in the same
//! unit of work (`service`).

pub mod api;
pub mod pages;
pub mod service;
pub mod store;

use crate::kernel::http::Routes;
use crate::kernel::i18n::Message;
use crate::kernel::Domain;

pub const DOMAIN: Domain = Domain {
    name: "subscriptions",
    routes,
    // Subscriptions are part of the subscriber's record: the subscribers' permissions apply.
    grants: &[],
    nav: &[],
    catalogue: CATALOGUE,
    jobs: &[],
    schedules: &[],
};

fn routes(r: Routes) -> Routes {
    pages::routes(api::routes(r))
}

pub const CATALOGUE: &[Message] = &[
    ("subscriptions.title", "Subscriptions", "সাবস্ক্রিপশন"),
    ("subscriptions.plan", "Plan", "প্যাকেজ"),
    ("subscriptions.starts_on", "Starts", "শুরু"),
    ("subscriptions.ends_on", "Ends", "শেষ"),
    ("subscriptions.primary", "drives the router", "রাউটারে প্রযোজ্য"),
    ("subscriptions.history", "History", "ইতিহাস"),
    (
        "subscriptions.add",
        "Add a subscription",
        "সাবস্ক্রিপশন যোগ করুন",
    ),
    ("subscriptions.change_plan", "Change plan", "প্যাকেজ বদলান"),
    (
        "subscriptions.effective_on",
        "From (empty: upgrade today, downgrade next period)",
        "থেকে (খালি: আপগ্রেড আজ, ডাউনগ্রেড পরের মেয়াদে)",
    ),
    ("subscriptions.pause", "Pause", "বিরতি"),
    (
        "subscriptions.pause_from",
        "First day off",
        "বিরতির প্রথম দিন",
    ),
    ("subscriptions.pause_to", "Last day off", "বিরতির শেষ দিন"),
    ("subscriptions.terminate", "End", "শেষ করুন"),
    (
        "subscriptions.last_day",
        "Last day of service",
        "সেবার শেষ দিন",
    ),
    ("subscriptions.note", "Note", "মন্তব্য"),
    (
        "subscriptions.price_override",
        "Price instead of the plan's (poisha)",
        "প্যাকেজের দামের বদলে (পয়সা)",
    ),
    (
        "subscriptions.discount",
        "Monthly discount (poisha)",
        "মাসিক ছাড় (পয়সা)",
    ),
    ("subscriptions.discount_until", "Discount until", "ছাড় যতদিন"),
    (
        "subscriptions.event.plan_change",
        "plan change",
        "প্যাকেজ পরিবর্তন",
    ),
    ("subscriptions.event.pause", "pause", "বিরতি"),
    ("subscriptions.event.termination", "end", "সমাপ্তি"),
    (
        "subscriptions.overlap",
        "Overlaps another subscription of this subscriber.",
        "এই গ্রাহকের আরেকটি সাবস্ক্রিপশনের সাথে সময় মিলে যায়।",
    ),
    (
        "subscriptions.ends_before_start",
        "Ends before it starts.",
        "শুরুর আগেই শেষ।",
    ),
    (
        "subscriptions.outside",
        "Outside the subscription's dates.",
        "সাবস্ক্রিপশনের তারিখের বাইরে।",
    ),
    (
        "subscriptions.same_plan",
        "It is on this plan already.",
        "এটি আগে থেকেই এই প্যাকেজে।",
    ),
    (
        "subscriptions.same_day",
        "Another plan change takes effect that day.",
        "সেদিন আরেকটি প্যাকেজ পরিবর্তন কার্যকর হয়।",
    ),
    (
        "subscriptions.already_ended",
        "It has ended already.",
        "এটি আগেই শেষ হয়েছে।",
    ),
];
