//! Billing: each company's settings and tax rates, billing runs, invoices and credit notes
//! (draft → finalised → voided, numbered per financial year), their PDFs and the public
//! payment page their QR code opens. The rules are `billing-core` (pure); this domain loads
//! the facts, stores what the rules propose, and posts every document to the ledger in the
//! same transaction.
//!
//! `compose.rs` is the one path from subscriptions to documents (runs and events alike);
//! `run.rs` the batched run; `pdf.rs` the printed document.

pub mod api;
pub mod cli;
pub mod compose;
pub mod pages;
pub mod pdf;
pub mod run;
pub mod service;
pub mod store;

use crate::kernel::http::page::NavItem;
use crate::kernel::http::Routes;
use crate::kernel::i18n::Message;
use crate::kernel::jobs::{Every, Job, JobKind, Schedule};
use crate::kernel::rbac::{Grant, Permission};
use crate::kernel::Domain;
use crate::AppState;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub const VIEW: Permission = Permission::new("billing.view");
pub const SETTINGS: Permission = Permission::new("billing.settings");
pub const RUN: Permission = Permission::new("billing.run");
pub const INVOICES: Permission = Permission::new("invoices.manage");

pub const RUN_JOB: &str = "billing.run";
pub const DAILY_JOB: &str = "billing.daily";
pub const FINALISE_JOB: &str = "billing.finalise";

pub const DOMAIN: Domain = Domain {
    name: "billing",
    routes,
    grants: &[
        Grant {
            permission: VIEW,
            en: "See invoices, credit notes and billing runs",
            bn: "চালান, ক্রেডিট নোট ও বিলিং রান দেখা",
            roles: &["manager", "billing-clerk", "support", "collector"],
            platform_only: false,
        },
        Grant {
            permission: SETTINGS,
            en: "Change billing settings and tax rates",
            bn: "বিলিং সেটিংস ও কর হার পরিবর্তন",
            roles: &["manager"],
            platform_only: false,
        },
        Grant {
            permission: RUN,
            en: "Run billing",
            bn: "বিলিং চালানো",
            roles: &["manager", "billing-clerk"],
            platform_only: false,
        },
        Grant {
            permission: INVOICES,
            en: "Finalise, void and credit invoices; add one-time charges",
            bn: "চালান চূড়ান্ত, বাতিল ও ক্রেডিট করা; এককালীন চার্জ যোগ",
            roles: &["manager", "billing-clerk"],
            platform_only: false,
        },
    ],
    nav: &[
        NavItem {
            href: "/invoices",
            label: "nav.invoices",
            needs: Some(VIEW),
            position: 25,
        },
        NavItem {
            href: "/billing",
            label: "nav.billing",
            needs: Some(VIEW),
            position: 26,
        },
    ],
    catalogue: CATALOGUE,
    jobs: &[
        JobKind {
            kind: RUN_JOB,
            run: run_job,
            max_attempts: 5,
        },
        JobKind {
            kind: DAILY_JOB,
            run: daily_job,
            max_attempts: 5,
        },
        JobKind {
            kind: FINALISE_JOB,
            run: finalise_job,
            max_attempts: 5,
        },
    ],
    schedules: &[Schedule {
        kind: DAILY_JOB,
        every: Every::DailyAt {
            hour: 0,
            minute: 10,
        },
    }],
};

fn routes(r: Routes) -> Routes {
    pages::routes(api::routes(r))
}

/// `[billing]` in the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BillingConfig {
    /// Subscriptions per transaction in a billing run.
    pub batch_size: i64,
}

impl Default for BillingConfig {
    fn default() -> Self {
        BillingConfig { batch_size: 1000 }
    }
}

fn run_job(state: AppState, job: Job) -> BoxFuture<'static, anyhow::Result<()>> {
    Box::pin(async move { service::run_from_job(&state, &job).await })
}

fn daily_job(state: AppState, _job: Job) -> BoxFuture<'static, anyhow::Result<()>> {
    Box::pin(async move { service::daily(&state, state.clock.today()).await })
}

fn finalise_job(state: AppState, job: Job) -> BoxFuture<'static, anyhow::Result<()>> {
    Box::pin(async move { service::finalise_run_from_job(&state, &job).await })
}

pub const CATALOGUE: &[Message] = &[
    ("nav.invoices", "Invoices", "চালান"),
    ("nav.billing", "Billing", "বিলিং"),
    (
        "invoices.title",
        "Invoices and credit notes",
        "চালান ও ক্রেডিট নোট",
    ),
    ("invoices.number", "Number", "নম্বর"),
    ("invoices.subscriber", "Subscriber", "গ্রাহক"),
    ("invoices.period", "Period", "মেয়াদ"),
    ("invoices.status", "Status", "অবস্থা"),
    ("invoices.kind", "Kind", "ধরন"),
    ("invoices.total", "Total", "মোট"),
    ("invoices.due", "Due", "পরিশোধের শেষ দিন"),
    ("invoices.outstanding", "Outstanding", "বকেয়া"),
    ("invoices.draft", "draft", "খসড়া"),
    ("invoices.finalised", "finalised", "চূড়ান্ত"),
    ("invoices.voided", "voided", "বাতিল"),
    ("invoices.invoice", "Invoice", "চালান"),
    ("invoices.credit_note", "Credit note", "ক্রেডিট নোট"),
    ("invoices.filter", "Filter", "ছাঁকুন"),
    ("invoices.unpaid", "Unpaid only", "শুধু বকেয়া"),
    ("invoices.all", "All", "সব"),
    ("invoices.csv", "Download CSV", "CSV ডাউনলোড"),
    ("invoices.pdf", "PDF", "PDF"),
    ("invoices.more", "Older", "আরও পুরোনো"),
    ("invoices.none", "No documents.", "কোনো নথি নেই।"),
    ("invoices.description", "Description", "বিবরণ"),
    ("invoices.quantity", "Qty", "পরিমাণ"),
    ("invoices.unit_price", "Unit price", "একক মূল্য"),
    ("invoices.net", "Value", "মূল্য"),
    ("invoices.vat", "VAT", "ভ্যাট"),
    ("invoices.sd", "SD", "সম্পূরক শুল্ক"),
    ("invoices.rounding", "Rounding", "রাউন্ডিং"),
    ("invoices.finalise", "Finalise", "চূড়ান্ত করুন"),
    ("invoices.discard", "Discard draft", "খসড়া বাদ দিন"),
    ("invoices.void", "Void", "বাতিল করুন"),
    ("invoices.void_reason", "Reason", "কারণ"),
    ("invoices.credit", "Issue credit note", "ক্রেডিট নোট দিন"),
    (
        "invoices.credit_amount",
        "Credit amount (৳)",
        "ক্রেডিটের পরিমাণ (৳)",
    ),
    ("invoices.credit_reason", "Reason", "কারণ"),
    ("invoices.credit_of", "Corrects", "সংশোধন করে"),
    ("invoices.credits", "Credit notes", "ক্রেডিট নোট"),
    (
        "invoices.one_time",
        "Add a one-time charge",
        "এককালীন চার্জ যোগ করুন",
    ),
    ("invoices.category", "Charge", "চার্জ"),
    ("invoices.connection_fee", "Connection fee", "সংযোগ ফি"),
    (
        "invoices.reconnection_fee",
        "Reconnection fee",
        "পুনঃসংযোগ ফি",
    ),
    ("invoices.equipment", "Equipment", "যন্ত্রপাতি"),
    ("invoices.late_fee", "Late fee", "বিলম্ব ফি"),
    ("invoices.other", "Other", "অন্যান্য"),
    ("invoices.add", "Add", "যোগ করুন"),
    ("invoices.pay_title", "Pay your bill", "আপনার বিল পরিশোধ করুন"),
    ("invoices.how_to_pay", "How to pay", "কীভাবে পরিশোধ করবেন"),
    (
        "invoices.bad_amount",
        "Enter an amount in taka above zero, e.g. 250 or 99.50.",
        "শূন্যের বেশি টাকার অঙ্ক লিখুন, যেমন ২৫০ বা ৯৯.৫০।",
    ),
    (
        "invoices.credit_too_large",
        "More than is left on the invoice.",
        "চালানে যা বাকি তার চেয়ে বেশি।",
    ),
    (
        "invoices.bad_quantity",
        "A whole number from 1 to 10,000.",
        "১ থেকে ১০,০০০ এর মধ্যে পূর্ণ সংখ্যা।",
    ),
    (
        "invoices.bad_category",
        "Choose a kind of charge.",
        "চার্জের ধরন বেছে নিন।",
    ),
    ("billing.title", "Billing", "বিলিং"),
    ("billing.statement", "Statement", "হিসাব বিবরণী"),
    ("billing.balance", "Balance", "স্থিতি"),
    ("billing.settings", "Billing settings", "বিলিং সেটিংস"),
    ("billing.cycle", "Cycle", "চক্র"),
    ("billing.fixed", "Fixed billing day", "নির্দিষ্ট বিলিং দিন"),
    (
        "billing.anniversary",
        "Anniversary (each subscriber's start day)",
        "বার্ষিকী (প্রত্যেক গ্রাহকের শুরুর দিন)",
    ),
    (
        "billing.billing_day",
        "Billing day (1–28)",
        "বিলিং দিন (১–২৮)",
    ),
    ("billing.timing", "Billed", "বিল করা হয়"),
    ("billing.prepaid", "In advance (prepaid)", "অগ্রিম (প্রিপেইড)"),
    (
        "billing.postpaid",
        "After the period (postpaid)",
        "মেয়াদ শেষে (পোস্টপেইড)",
    ),
    (
        "billing.due_day",
        "Due on day (1–28) of the period",
        "মেয়াদের যে দিনে পরিশোধ (১–২৮)",
    ),
    (
        "billing.preview_days",
        "Preview days before finalising",
        "চূড়ান্ত করার আগে দেখার দিন",
    ),
    ("billing.rounding", "Round totals", "মোট রাউন্ড"),
    ("billing.round_poisha", "To the poisha", "পয়সা পর্যন্ত"),
    ("billing.round_taka", "To the whole taka", "পূর্ণ টাকায়"),
    (
        "billing.series_per_branch",
        "A number series per branch",
        "প্রতি শাখায় আলাদা নম্বর ধারা",
    ),
    (
        "billing.bkash_number",
        "bKash number (printed on invoices)",
        "বিকাশ নম্বর (চালানে ছাপা হবে)",
    ),
    (
        "billing.payment_note",
        "How to pay (printed on invoices)",
        "পরিশোধের নির্দেশনা (চালানে ছাপা হবে)",
    ),
    ("billing.save", "Save", "সংরক্ষণ"),
    (
        "billing.not_configured",
        "Billing is not set up yet: save these settings to start.",
        "বিলিং এখনও চালু হয়নি: শুরু করতে এই সেটিংস সংরক্ষণ করুন।",
    ),
    ("billing.tax_rates", "Tax rates", "কর হার"),
    ("billing.tax_kind", "Tax", "কর"),
    ("billing.rate", "Rate (%)", "হার (%)"),
    ("billing.valid_from", "From", "থেকে"),
    ("billing.valid_to", "Until", "পর্যন্ত"),
    (
        "billing.add_rate",
        "Add a rate from a date",
        "একটি তারিখ থেকে নতুন হার",
    ),
    ("billing.runs", "Billing runs", "বিলিং রান"),
    ("billing.run", "Run billing", "বিলিং চালান"),
    (
        "billing.dry_run",
        "Dry run (shows what would be issued)",
        "পরীক্ষামূলক (কী ইস্যু হবে দেখায়)",
    ),
    ("billing.period", "Period (YYYY-MM)", "মেয়াদ (YYYY-MM)"),
    ("billing.issued", "Issued", "ইস্যু হয়েছে"),
    ("billing.previous", "Previous period", "আগের মেয়াদ"),
    (
        "billing.new_subscribers",
        "Billed now, not last time",
        "এবার বিল হয়েছে, আগেরবার নয়",
    ),
    (
        "billing.missing_subscribers",
        "Billed last time, not now",
        "আগেরবার বিল হয়েছিল, এবার নয়",
    ),
    ("billing.errors", "Errors", "ত্রুটি"),
    ("billing.subscriptions", "Subscriptions", "সাবস্ক্রিপশন"),
    (
        "billing.bad_period",
        "Write the period as YYYY-MM, e.g. 2026-12.",
        "মেয়াদ YYYY-MM আকারে লিখুন, যেমন 2026-12।",
    ),
    (
        "billing.bad_day",
        "A day from 1 to 28.",
        "১ থেকে ২৮ এর মধ্যে একটি দিন।",
    ),
    (
        "billing.bad_choice",
        "Choose one of the options.",
        "একটি বিকল্প বেছে নিন।",
    ),
    (
        "billing.bad_preview",
        "From 0 to 30 days.",
        "০ থেকে ৩০ দিন।",
    ),
    (
        "billing.bad_rate",
        "A rate from 0 to 100 %, at most two decimals.",
        "০ থেকে ১০০% এর মধ্যে হার, সর্বোচ্চ দুই দশমিক।",
    ),
    (
        "billing.bad_date",
        "A date written YYYY-MM-DD.",
        "YYYY-MM-DD আকারে তারিখ।",
    ),
    (
        "billing.rates_overlap",
        "Rates of one tax may not overlap.",
        "একই করের হার একসাথে চলতে পারে না।",
    ),
    (
        "billing.plan_over_cap",
        "Above the BTRC tariff cap for this speed",
        "এই গতির জন্য বিটিআরসি নির্ধারিত সর্বোচ্চ মূল্যের বেশি",
    ),
];
