//! The ledger: double-entry books per company. Documents post to it (an invoice, a credit note,
//! a void, an advance consumed; later payments and refunds) in the transaction that makes them;
//! it answers balances, statements, the trial balance and the VAT payable per month, and
//! `verify-ledger` proves the books sound.

pub mod api;
pub mod pages;
pub mod service;
pub mod store;

use crate::kernel::http::page::NavItem;
use crate::kernel::http::Routes;
use crate::kernel::i18n::Message;
use crate::kernel::rbac::{Grant, Permission};
use crate::kernel::Domain;

pub const VIEW: Permission = Permission::new("ledger.view");

pub const DOMAIN: Domain = Domain {
    name: "ledger",
    routes,
    grants: &[Grant {
        permission: VIEW,
        en: "See the books (trial balance, VAT)",
        bn: "হিসাব দেখা (রেওয়ামিল, ভ্যাট)",
        roles: &["manager", "billing-clerk"],
        platform_only: false,
    }],
    nav: &[NavItem {
        href: "/ledger",
        label: "nav.ledger",
        needs: Some(VIEW),
        position: 45,
    }],
    catalogue: CATALOGUE,
    jobs: &[],
    schedules: &[],
};

fn routes(r: Routes) -> Routes {
    pages::routes(api::routes(r))
}

pub const CATALOGUE: &[Message] = &[
    ("nav.ledger", "Books", "হিসাব"),
    ("ledger.title", "Trial balance", "রেওয়ামিল"),
    ("ledger.account", "Account", "হিসাব"),
    ("ledger.code", "Code", "কোড"),
    ("ledger.debit", "Debit", "ডেবিট"),
    ("ledger.credit", "Credit", "ক্রেডিট"),
    ("ledger.total", "Total", "মোট"),
    (
        "ledger.balanced",
        "Debits equal credits.",
        "ডেবিট ও ক্রেডিট সমান।",
    ),
    (
        "ledger.unbalanced",
        "Debits and credits differ: run verify-ledger.",
        "ডেবিট ও ক্রেডিট মেলে না: verify-ledger চালান।",
    ),
    (
        "ledger.vat_title",
        "VAT payable by month",
        "মাসভিত্তিক প্রদেয় ভ্যাট",
    ),
    ("ledger.month", "Month", "মাস"),
    ("ledger.vat", "VAT", "ভ্যাট"),
    ("ledger.sd", "Supplementary duty", "সম্পূরক শুল্ক"),
    ("ledger.csv", "Download CSV", "CSV ডাউনলোড"),
    ("ledger.empty", "Nothing posted yet.", "এখনও কিছু লেখা হয়নি।"),
];
