//! Staff: users and their memberships, roles and permissions, API tokens, the user's own
//! account (second factor, company switch), and signing in (`login.rs`, with `totp.rs`).
//!
//! Users are global (one login across companies); what they may do is per company, through a
//! membership.

pub mod api;
pub mod login;
pub mod pages;
pub mod service;
pub mod store;
pub mod totp;

use crate::kernel::http::page::NavItem;
use crate::kernel::http::Routes;
use crate::kernel::i18n::Message;
use crate::kernel::rbac::{Grant, Permission};
use crate::kernel::Domain;

pub const USERS_VIEW: Permission = Permission::new("users.view");
pub const USERS_MANAGE: Permission = Permission::new("users.manage");
pub const ROLES_MANAGE: Permission = Permission::new("roles.manage");

pub const DOMAIN: Domain = Domain {
    name: "staff",
    routes,
    grants: &[
        Grant {
            permission: USERS_VIEW,
            en: "See staff",
            bn: "কর্মী দেখা",
            roles: &["manager"],
            platform_only: false,
        },
        Grant {
            permission: USERS_MANAGE,
            en: "Manage staff",
            bn: "কর্মী পরিচালনা",
            roles: &["manager"],
            platform_only: false,
        },
        Grant {
            permission: ROLES_MANAGE,
            en: "Manage roles",
            bn: "ভূমিকা পরিচালনা",
            roles: &[],
            platform_only: false,
        },
    ],
    nav: &[
        NavItem {
            href: "/users",
            label: "nav.users",
            needs: Some(USERS_VIEW),
            position: 60,
        },
        NavItem {
            href: "/roles",
            label: "nav.roles",
            needs: Some(ROLES_MANAGE),
            position: 70,
        },
        NavItem {
            href: "/tokens",
            label: "nav.tokens",
            needs: None,
            position: 110,
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
    ("nav.users", "Staff", "কর্মী"),
    ("login.title", "Sign in", "সাইন ইন"),
    ("login.username", "Username", "ইউজারনেম"),
    ("login.password", "Password", "পাসওয়ার্ড"),
    ("login.submit", "Sign in", "সাইন ইন করুন"),
    ("login.failed", "Wrong username or password.", "ইউজারনেম বা পাসওয়ার্ড ভুল।"),
    ("login.locked", "Too many failed attempts. Try again later.", "অনেকবার ভুল চেষ্টা হয়েছে। পরে আবার চেষ্টা করুন।"),
    ("users.title", "Staff", "কর্মীবৃন্দ"),
    ("users.username", "Username", "ইউজারনেম"),
    ("users.name", "Name", "নাম"),
    ("users.role", "Role", "ভূমিকা"),
    ("users.display_name", "Full name", "পুরো নাম"),
    ("users.password", "Password", "পাসওয়ার্ড"),
    ("users.branch", "Branch", "শাখা"),
    ("users.all_branches", "All branches", "সব শাখা"),
    ("users.create", "Add staff member", "কর্মী যোগ করুন"),
    ("users.bad_username", "3–32 characters: a–z, 0–9, dot, dash, underscore.", "৩–৩২ অক্ষর: a–z, ০–৯, ডট, ড্যাশ, আন্ডারস্কোর।"),
    ("users.unknown_role", "Choose a role.", "একটি ভূমিকা বেছে নিন।"),
    ("users.role_above_yours", "You cannot give a role with more rights than yours.", "নিজের চেয়ে বেশি অধিকারের ভূমিকা দেওয়া যায় না।"),
    ("users.unknown_branch", "Choose a branch of this company.", "এই প্রতিষ্ঠানের একটি শাখা বেছে নিন।"),
    ("users.choose_role", "— choose a role —", "— ভূমিকা বেছে নিন —"),
    ("users.password_hint", "At least 10 characters.", "কমপক্ষে ১০ অক্ষর।"),
    ("role.owner", "Owner", "মালিক"),
    ("role.manager", "Manager", "ম্যানেজার"),
    ("role.billing-clerk", "Billing clerk", "বিলিং কর্মী"),
    ("role.support", "Support", "সাপোর্ট"),
    ("role.technician", "Technician", "টেকনিশিয়ান"),
    ("role.collector", "Collector", "কালেক্টর"),
    ("role.reseller", "Reseller", "রিসেলার"),
    ("password.too_short", "At least 10 characters.", "কমপক্ষে ১০ অক্ষর।"),
    ("nav.roles", "Roles", "ভূমিকা"),
    ("nav.tokens", "API tokens", "API টোকেন"),
    ("login.code_title", "Verification code", "যাচাই কোড"),
    ("login.code_hint", "Enter the 6-digit code from your authenticator app.", "আপনার অথেনটিকেটর অ্যাপের ৬ অঙ্কের কোডটি লিখুন।"),
    ("login.code", "Code", "কোড"),
    ("login.bad_code", "That code is wrong or was already used.", "কোডটি ভুল অথবা আগেই ব্যবহার হয়েছে।"),
    ("login.throttled", "Too many failed attempts from this network. Try again later.", "এই নেটওয়ার্ক থেকে অনেকবার ভুল চেষ্টা হয়েছে। পরে আবার চেষ্টা করুন।"),
    ("login.expired", "Sign in again: the code step timed out.", "আবার সাইন ইন করুন: কোড দেওয়ার সময় শেষ হয়ে গেছে।"),
    ("account.title", "Your account", "আপনার অ্যাকাউন্ট"),
    ("account.second_factor", "Two-step sign-in", "দুই ধাপে সাইন ইন"),
    ("account.second_factor_on", "On: a code from your authenticator app is asked for after the password.", "চালু: পাসওয়ার্ডের পরে অথেনটিকেটর অ্যাপের কোড চাওয়া হয়।"),
    ("account.second_factor_off", "Off: only the password protects this account.", "বন্ধ: শুধু পাসওয়ার্ড এই অ্যাকাউন্ট রক্ষা করছে।"),
    ("account.enable", "Set up two-step sign-in", "দুই ধাপে সাইন ইন চালু করুন"),
    ("account.disable", "Turn off two-step sign-in", "দুই ধাপে সাইন ইন বন্ধ করুন"),
    ("account.setup_hint", "Add this key to an authenticator app (Google Authenticator, Microsoft Authenticator, Aegis), then enter the code it shows.", "এই কী-টি একটি অথেনটিকেটর অ্যাপে যোগ করুন (Google Authenticator, Microsoft Authenticator, Aegis), তারপর অ্যাপে দেখানো কোডটি লিখুন।"),
    ("account.open_app", "Open in authenticator app", "অথেনটিকেটর অ্যাপে খুলুন"),
    ("account.confirm", "Confirm", "নিশ্চিত করুন"),
    ("account.companies", "Your companies", "আপনার প্রতিষ্ঠানসমূহ"),
    ("account.current", "current", "বর্তমান"),
    ("account.switch", "Work here", "এখানে কাজ করুন"),
    ("account.sessions", "Sessions", "সেশন"),
    ("account.logout_everywhere", "Sign out on every device", "সব ডিভাইস থেকে সাইন আউট"),
    ("tokens.title", "API tokens", "API টোকেন"),
    ("tokens.hint", "Tokens let scripts use the JSON API as you, limited to the permissions you tick. Send one as: Authorization: Bearer <token>.", "টোকেন দিয়ে স্ক্রিপ্ট আপনার হয়ে JSON API ব্যবহার করতে পারে, শুধু যে অনুমতিগুলো টিক দেবেন সেগুলো নিয়ে। পাঠান: Authorization: Bearer <token>।"),
    ("tokens.name", "Token name", "টোকেনের নাম"),
    ("tokens.permissions", "Permissions", "অনুমতি"),
    ("tokens.expires", "Expires", "মেয়াদ শেষ"),
    ("tokens.days", "days", "দিন"),
    ("tokens.last_used", "Last used", "শেষ ব্যবহার"),
    ("tokens.never", "never", "কখনো না"),
    ("tokens.state", "State", "অবস্থা"),
    ("tokens.live", "active", "সক্রিয়"),
    ("tokens.expired", "expired", "মেয়াদোত্তীর্ণ"),
    ("tokens.revoked", "revoked", "বাতিল"),
    ("tokens.revoke", "Revoke", "বাতিল করুন"),
    ("tokens.create", "Create token", "টোকেন তৈরি করুন"),
    ("tokens.shown_once", "Copy this token now: it will not be shown again.", "টোকেনটি এখনই কপি করুন: এটি আর দেখানো হবে না।"),
    ("tokens.bad_days", "Choose a lifetime.", "মেয়াদ বেছে নিন।"),
    ("tokens.no_permissions", "Tick at least one permission.", "অন্তত একটি অনুমতি টিক দিন।"),
    ("roles.title", "Roles and permissions", "ভূমিকা ও অনুমতি"),
    ("roles.name", "Role name", "ভূমিকার নাম"),
    ("roles.permissions", "Permissions", "অনুমতি"),
    ("roles.save", "Save", "সংরক্ষণ করুন"),
    ("roles.delete", "Delete role", "ভূমিকা মুছুন"),
    ("roles.create", "Add role", "ভূমিকা যোগ করুন"),
    ("roles.owner_fixed", "The owner role always has every permission.", "মালিকের ভূমিকায় সব সময় সব অনুমতি থাকে।"),
    ("roles.in_use", "Staff still have this role; give them another first.", "কর্মীদের এখনো এই ভূমিকা আছে; আগে তাদের অন্য ভূমিকা দিন।"),
    ("roles.unknown_permission", "Unknown permission.", "অজানা অনুমতি।"),
    ("roles.above_yours", "You cannot grant a permission you do not have.", "নিজের নেই এমন অনুমতি দেওয়া যায় না।"),
    ("password.too_long", "At most 256 characters.", "সর্বোচ্চ ২৫৬ অক্ষর।"),
    ("users.deactivate", "Deactivate", "নিষ্ক্রিয় করুন"),
    ("users.reactivate", "Reactivate", "আবার সক্রিয় করুন"),
    ("users.deactivated", "Deactivated", "নিষ্ক্রিয়"),
    ("users.not_yourself", "You cannot deactivate yourself.", "নিজেকে নিষ্ক্রিয় করা যায় না।"),
];
