//! Bangla and English. Every string the UI shows comes from [`CATALOGUE`]; each entry carries
//! both languages, so a missing translation cannot compile.
//!
//! Numbers use South Asian grouping (12,34,567) in both languages, Bangla digits in Bangla;
//! money is integer poisha shown as ৳.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Bn,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Bn => "bn",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "bn" => Some(Lang::Bn),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Bn,
            Lang::Bn => Lang::En,
        }
    }
}

/// (key, English, Bangla)
pub const CATALOGUE: &[(&str, &str, &str)] = &[
    ("app.name", "Setu", "সেতু"),
    ("lang.switch", "বাংলা", "English"),
    ("nav.dashboard", "Dashboard", "ড্যাশবোর্ড"),
    ("nav.branches", "Branches", "শাখা"),
    ("nav.users", "Staff", "কর্মী"),
    ("nav.audit", "Audit log", "অডিট লগ"),
    ("nav.logout", "Sign out", "সাইন আউট"),
    ("login.title", "Sign in", "সাইন ইন"),
    ("login.username", "Username", "ইউজারনেম"),
    ("login.password", "Password", "পাসওয়ার্ড"),
    ("login.submit", "Sign in", "সাইন ইন করুন"),
    (
        "login.failed",
        "Wrong username or password.",
        "ইউজারনেম বা পাসওয়ার্ড ভুল।",
    ),
    (
        "login.locked",
        "Too many failed attempts. Try again later.",
        "অনেকবার ভুল চেষ্টা হয়েছে। পরে আবার চেষ্টা করুন।",
    ),
    ("dashboard.title", "Dashboard", "ড্যাশবোর্ড"),
    ("dashboard.welcome", "Welcome", "স্বাগতম"),
    ("dashboard.branches", "Branches", "শাখা"),
    ("dashboard.role", "Your role", "আপনার ভূমিকা"),
    ("branches.title", "Branches", "শাখাসমূহ"),
    ("branches.name", "Branch name", "শাখার নাম"),
    ("branches.create", "Add branch", "শাখা যোগ করুন"),
    ("branches.none", "No branches yet.", "এখনো কোনো শাখা নেই।"),
    ("branches.created", "Branch added.", "শাখা যোগ হয়েছে।"),
    ("users.title", "Staff", "কর্মীবৃন্দ"),
    ("users.username", "Username", "ইউজারনেম"),
    ("users.name", "Name", "নাম"),
    ("users.role", "Role", "ভূমিকা"),
    ("users.display_name", "Full name", "পুরো নাম"),
    ("users.password", "Password", "পাসওয়ার্ড"),
    ("users.branch", "Branch", "শাখা"),
    ("users.all_branches", "All branches", "সব শাখা"),
    ("users.create", "Add staff member", "কর্মী যোগ করুন"),
    (
        "users.bad_username",
        "3–32 characters: a–z, 0–9, dot, dash, underscore.",
        "৩–৩২ অক্ষর: a–z, ০–৯, ডট, ড্যাশ, আন্ডারস্কোর।",
    ),
    (
        "users.unknown_role",
        "Choose a role.",
        "একটি ভূমিকা বেছে নিন।",
    ),
    (
        "users.role_above_yours",
        "You cannot give a role with more rights than yours.",
        "নিজের চেয়ে বেশি অধিকারের ভূমিকা দেওয়া যায় না।",
    ),
    (
        "users.unknown_branch",
        "Choose a branch of this company.",
        "এই প্রতিষ্ঠানের একটি শাখা বেছে নিন।",
    ),
    (
        "users.choose_role",
        "— choose a role —",
        "— ভূমিকা বেছে নিন —",
    ),
    (
        "users.password_hint",
        "At least 10 characters.",
        "কমপক্ষে ১০ অক্ষর।",
    ),
    ("branches.created_at", "Added", "যোগের সময়"),
    ("role.owner", "Owner", "মালিক"),
    ("role.manager", "Manager", "ম্যানেজার"),
    ("role.billing-clerk", "Billing clerk", "বিলিং কর্মী"),
    ("role.support", "Support", "সাপোর্ট"),
    ("role.technician", "Technician", "টেকনিশিয়ান"),
    ("role.collector", "Collector", "কালেক্টর"),
    ("role.reseller", "Reseller", "রিসেলার"),
    ("audit.title", "Audit log", "অডিট লগ"),
    ("audit.when", "When", "কখন"),
    ("audit.action", "Action", "কাজ"),
    ("audit.entity", "Entity", "বিষয়"),
    ("forbidden.title", "Not allowed", "অনুমতি নেই"),
    (
        "forbidden.body",
        "Your role does not allow this page.",
        "আপনার ভূমিকায় এই পাতা দেখার অনুমতি নেই।",
    ),
    (
        "field.required",
        "This field is required.",
        "এই ঘরটি পূরণ করতে হবে।",
    ),
    ("field.too_long", "This is too long.", "এটি অনেক লম্বা।"),
    (
        "field.taken",
        "This name is already used.",
        "এই নাম আগেই ব্যবহৃত হয়েছে।",
    ),
    (
        "password.too_short",
        "At least 10 characters.",
        "কমপক্ষে ১০ অক্ষর।",
    ),
    ("nav.roles", "Roles", "ভূমিকা"),
    ("nav.settings", "Settings", "সেটিংস"),
    ("nav.companies", "Companies", "প্রতিষ্ঠান"),
    ("nav.tokens", "API tokens", "API টোকেন"),
    ("dashboard.company", "Company", "প্রতিষ্ঠান"),
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
    ("companies.title", "Companies", "প্রতিষ্ঠানসমূহ"),
    ("companies.name", "Company name", "প্রতিষ্ঠানের নাম"),
    ("companies.create", "Add company", "প্রতিষ্ঠান যোগ করুন"),
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
    ("settings.title", "Company settings", "প্রতিষ্ঠানের সেটিংস"),
    ("settings.legal_name", "Legal name", "আইনি নাম"),
    ("settings.phone", "Phone", "ফোন"),
    ("settings.address", "Address", "ঠিকানা"),
    ("settings.licence_no", "BTRC licence number", "বিটিআরসি লাইসেন্স নম্বর"),
    ("settings.save", "Save settings", "সেটিংস সংরক্ষণ করুন"),
    ("settings.bad_phone", "Enter a Bangladeshi number, e.g. 01712-345678.", "বাংলাদেশি নম্বর লিখুন, যেমন ০১৭১২-৩৪৫৬৭৮।"),
    ("audit.actor", "Who", "কে"),
    ("audit.anyone", "Anyone", "যে কেউ"),
    ("audit.entity_id", "Entity id", "বিষয়ের আইডি"),
    ("audit.from", "From", "থেকে"),
    ("audit.until", "Until", "পর্যন্ত"),
    ("audit.filter", "Filter", "ছাঁকুন"),
    ("audit.export", "Export CSV", "CSV এক্সপোর্ট"),
    ("audit.older", "Older entries", "আগের এন্ট্রি"),
    ("audit.bad_date", "Use a date like 2026-11-25.", "২০২৬-১১-২৫ এর মতো তারিখ দিন।"),
    ("audit.bad_actor", "Choose a staff member.", "একজন কর্মী বেছে নিন।"),
    ("perm.dashboard.view", "See the dashboard", "ড্যাশবোর্ড দেখা"),
    ("perm.branches.view", "See branches", "শাখা দেখা"),
    ("perm.branches.manage", "Manage branches", "শাখা পরিচালনা"),
    ("perm.users.view", "See staff", "কর্মী দেখা"),
    ("perm.users.manage", "Manage staff", "কর্মী পরিচালনা"),
    ("perm.roles.manage", "Manage roles", "ভূমিকা পরিচালনা"),
    ("perm.audit.view", "See the audit log", "অডিট লগ দেখা"),
    ("perm.settings.manage", "Change company settings", "প্রতিষ্ঠানের সেটিংস পরিবর্তন"),
    ("perm.subscribers.view", "See subscribers", "গ্রাহক দেখা"),
    ("perm.subscribers.manage", "Manage subscribers", "গ্রাহক পরিচালনা"),
    ("perm.plans.manage", "Manage plans", "প্যাকেজ পরিচালনা"),
    ("perm.billing.run", "Run billing", "বিলিং চালানো"),
    ("perm.payments.collect", "Collect payments", "পেমেন্ট সংগ্রহ"),
    ("perm.routers.view", "See routers", "রাউটার দেখা"),
    ("perm.routers.manage", "Manage routers", "রাউটার পরিচালনা"),
    ("perm.companies.manage", "Manage companies", "প্রতিষ্ঠান পরিচালনা"),
    ("nav.subscribers", "Subscribers", "গ্রাহক"),
    ("nav.plans", "Plans", "প্যাকেজ"),
    ("nav.fleet", "Routers", "রাউটার"),
    ("fleet.title", "POPs and routers", "পপ ও রাউটার"),
    ("fleet.router", "Router", "রাউটার"),
    ("fleet.pop", "POP", "পপ"),
    ("fleet.state", "State", "অবস্থা"),
    ("fleet.last_seen", "Last seen", "শেষ দেখা"),
    ("fleet.memory", "Memory", "মেমরি"),
    ("fleet.sessions", "Online", "অনলাইন"),
    ("fleet.sync", "Desired / applied", "কাঙ্ক্ষিত / প্রয়োগকৃত"),
    ("fleet.online", "online", "অনলাইন"),
    ("fleet.offline", "offline", "অফলাইন"),
    ("fleet.revoked", "revoked", "বাতিল"),
    ("fleet.not_enrolled", "not enrolled", "এনরোল হয়নি"),
    ("fleet.in_sync", "in sync", "মিলে আছে"),
    ("fleet.pending", "applying", "প্রয়োগ চলছে"),
    ("fleet.add_pop", "Add POP", "পপ যোগ করুন"),
    ("fleet.add_router", "Add router", "রাউটার যোগ করুন"),
    ("fleet.pop_name", "POP name", "পপের নাম"),
    ("fleet.router_name", "Router name", "রাউটারের নাম"),
    ("fleet.agent", "Agent id", "এজেন্ট আইডি"),
    ("fleet.desired_version", "Desired version", "কাঙ্ক্ষিত সংস্করণ"),
    ("fleet.applied_version", "Applied version", "প্রয়োগকৃত সংস্করণ"),
    ("fleet.identity", "RouterOS identity", "RouterOS আইডেন্টিটি"),
    ("fleet.drift", "Drift", "অমিল"),
    ("fleet.enroll", "New enrollment token", "নতুন এনরোলমেন্ট টোকেন"),
    ("fleet.revoke", "Revoke agent", "এজেন্ট বাতিল করুন"),
    ("fleet.enrollment_once", "Run this on the agent box now; the token works once and is not shown again.", "এখনই এজেন্ট বক্সে এটি চালান; টোকেনটি একবারই কাজ করে এবং আর দেখানো হবে না।"),
    ("fleet.valid_until", "Valid until", "মেয়াদ"),
    ("fleet.bad_public_key", "Not an Ed25519 public key (64 hex characters).", "Ed25519 পাবলিক কী নয় (৬৪ হেক্স অক্ষর)।"),
    ("fleet.interfaces", "Interfaces (last telemetry)", "ইন্টারফেস (শেষ টেলিমেট্রি)"),
    ("fleet.interface", "Interface", "ইন্টারফেস"),
    ("fleet.commands", "Commands to the agent", "এজেন্টকে নির্দেশ"),
    ("fleet.command", "Command", "নির্দেশ"),
    ("fleet.cmd_resync", "Resync now", "এখনই মিলিয়ে নিন"),
    ("fleet.cmd_kick", "Disconnect a PPPoE session", "একটি PPPoE সেশন বিচ্ছিন্ন করুন"),
    ("fleet.cmd_diagnostics", "Collect diagnostics", "ডায়াগনস্টিক সংগ্রহ"),
    ("fleet.kick_user", "PPPoE username (to disconnect)", "PPPoE ইউজারনেম (বিচ্ছিন্ন করতে)"),
    ("fleet.send", "Send", "পাঠান"),
    ("fleet.bad_command", "Unknown command.", "অজানা নির্দেশ।"),
    ("routers.unknown_pop", "Choose a POP of this company.", "এই প্রতিষ্ঠানের একটি পপ বেছে নিন।"),
    ("plans.title", "Plans", "প্যাকেজ"),
    ("plans.name", "Plan name", "প্যাকেজের নাম"),
    ("plans.download", "Download", "ডাউনলোড"),
    ("plans.upload", "Upload", "আপলোড"),
    ("plans.burst_download", "Burst download", "বার্স্ট ডাউনলোড"),
    ("plans.burst_upload", "Burst upload", "বার্স্ট আপলোড"),
    ("plans.price", "Monthly price (৳)", "মাসিক মূল্য (৳)"),
    ("plans.speed", "Speed", "গতি"),
    ("plans.burst", "Burst", "বার্স্ট"),
    ("plans.profile", "Router profile", "রাউটার প্রোফাইল"),
    ("plans.create", "Add plan", "প্যাকেজ যোগ করুন"),
    ("plans.rate_hint", "Rates like 10M or 512k; burst both or neither.", "গতি যেমন 10M বা 512k; বার্স্ট দুটিই দিন বা কোনোটিই নয়।"),
    ("plans.bad_rate", "Use a rate like 10M or 512k.", "10M বা 512k এর মতো গতি লিখুন।"),
    ("plans.burst_pair", "Give both burst rates, or neither.", "দুটি বার্স্ট গতিই দিন, অথবা কোনোটিই নয়।"),
    ("plans.bad_price", "Enter a price in taka, e.g. 500 or 499.50.", "টাকায় মূল্য লিখুন, যেমন ৫০০ বা ৪৯৯.৫০।"),
    ("subscribers.title", "Subscribers", "গ্রাহকবৃন্দ"),
    ("subscribers.plan", "Plan", "প্যাকেজ"),
    ("subscribers.pppoe_username", "PPPoE username", "PPPoE ইউজারনেম"),
    ("subscribers.pppoe_password", "PPPoE password", "PPPoE পাসওয়ার্ড"),
    ("subscribers.create", "Add subscriber", "গ্রাহক যোগ করুন"),
    ("subscribers.more", "Next page", "পরের পাতা"),
    ("subscribers.active", "active", "সক্রিয়"),
    ("subscribers.suspended", "suspended", "স্থগিত"),
    ("subscribers.terminated", "terminated", "বন্ধ"),
    ("subscribers.suspend", "Suspend", "স্থগিত করুন"),
    ("subscribers.reconnect", "Reconnect", "পুনঃসংযোগ"),
    ("subscribers.bad_username", "1–64 characters: letters, digits, dot, dash, underscore, @.", "১–৬৪ অক্ষর: অক্ষর, সংখ্যা, ডট, ড্যাশ, আন্ডারস্কোর, @।"),
    ("subscribers.bad_password", "4–64 visible characters, no spaces.", "৪–৬৪টি দৃশ্যমান অক্ষর, ফাঁকা নয়।"),
    ("subscribers.bad_status", "Status is active, suspended or terminated.", "অবস্থা: সক্রিয়, স্থগিত বা বন্ধ।"),
    ("subscribers.unknown_router", "Choose a router of this company.", "এই প্রতিষ্ঠানের একটি রাউটার বেছে নিন।"),
    ("subscribers.unknown_plan", "Choose a plan of this company.", "এই প্রতিষ্ঠানের একটি প্যাকেজ বেছে নিন।"),
    ("nav.sessions", "Sessions", "সেশন"),
    ("sessions.title", "Session log", "সেশন লগ"),
    (
        "sessions.hint",
        "Who was online, from where, when. Give an address and a Dhaka time to find who had it then.",
        "কে কখন কোথা থেকে অনলাইন ছিল। কোন সময়ে কোন আইপি কার ছিল জানতে ঠিকানা ও ঢাকার সময় দিন।",
    ),
    ("sessions.address", "IP address", "আইপি ঠিকানা"),
    ("sessions.at", "At (Dhaka time)", "সময় (ঢাকা)"),
    ("sessions.caller_id", "Caller id / MAC", "কলার আইডি / ম্যাক"),
    ("sessions.started", "Started", "শুরু"),
    ("sessions.ended", "Ended", "শেষ"),
    ("sessions.service", "Service", "সেবা"),
    ("sessions.online", "online now", "এখন অনলাইন"),
    ("sessions.bad_subscriber", "Not a subscriber id.", "গ্রাহক আইডি নয়।"),
    ("sessions.bad_time", "Use a Dhaka time like 2026-11-25 21:30.", "২০২৬-১১-২৫ ২১:৩০ এর মতো ঢাকার সময় দিন।"),
    ("sessions.bad_address", "Not an IP address.", "আইপি ঠিকানা নয়।"),
    (
        "password.too_long",
        "At most 256 characters.",
        "সর্বোচ্চ ২৫৬ অক্ষর।",
    ),
];

/// The text for `key` when the catalogue has it (e.g. `role.<name>` for seeded roles only).
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    CATALOGUE
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, bn)| match lang {
            Lang::En => *en,
            Lang::Bn => *bn,
        })
}

/// A role's display name: translated for seeded roles, as named for a company's own roles.
pub fn role_name(lang: Lang, role: &str) -> String {
    lookup(lang, &format!("role.{role}")).map_or_else(|| role.to_owned(), str::to_owned)
}

/// The text for `key`; an unknown key shows itself, which the catalogue test catches.
pub fn t(lang: Lang, key: &str) -> &'static str {
    match CATALOGUE.iter().find(|(k, _, _)| *k == key) {
        Some((_, en, bn)) => match lang {
            Lang::En => en,
            Lang::Bn => bn,
        },
        None => {
            tracing::warn!(key, "missing message");
            "?"
        }
    }
}

/// Groups digits the South Asian way: last three, then pairs (12,34,567).
pub fn group_lakh(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let (head, last3) = digits.split_at(digits.len().saturating_sub(3));
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = head;
    while rest.len() > 2 {
        let (a, b) = rest.split_at(rest.len() - 2);
        groups.push(b);
        rest = a;
    }
    if !rest.is_empty() {
        groups.push(rest);
    }
    groups.reverse();
    groups.push(last3);
    let text = groups.join(",");
    match lang {
        Lang::En => text,
        Lang::Bn => text.chars().map(bangla_digit).collect(),
    }
}

fn bangla_digit(c: char) -> char {
    match c.to_digit(10) {
        Some(d) => char::from_u32(0x09E6 + d).unwrap_or(c),
        None => c,
    }
}

/// Money in poisha as taka: `৳12,34,567.50`.
pub fn taka(poisha: i64, lang: Lang) -> String {
    let sign = if poisha < 0 { "-" } else { "" };
    let abs = poisha.unsigned_abs();
    let paisa = format!("{:02}", abs % 100);
    let paisa: String = match lang {
        Lang::En => paisa,
        Lang::Bn => paisa.chars().map(bangla_digit).collect(),
    };
    format!("{sign}৳{}.{paisa}", group_lakh(abs / 100, lang))
}

/// Asia/Dhaka is UTC+6 all year (no daylight saving since 2009).
pub const DHAKA_OFFSET_MS: i64 = 6 * 3_600_000;

/// `2026-11-25 14:03` in Dhaka time, from UTC milliseconds.
pub fn dhaka_time(utc_ms: i64) -> String {
    let secs = (utc_ms + DHAKA_OFFSET_MS).div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// The start of a Dhaka calendar day (`YYYY-MM-DD`) in UTC milliseconds; `None` when the text
/// is not a real date.
pub fn dhaka_day_start(date: &str) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    let days = days_from_civil(y, m, d);
    // Round-tripping rejects 2026-02-30 and friends.
    (civil_from_days(days) == (y, m, d)).then_some(days * 86_400_000 - DHAKA_OFFSET_MS)
}

/// A proleptic Gregorian date to days since 1970-01-01 (the inverse of `civil_from_days`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_keys_are_unique_and_translated() {
        let mut keys: Vec<&str> = CATALOGUE.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
        for (key, en, bn) in CATALOGUE {
            assert!(!en.is_empty() && !bn.is_empty(), "{key}");
        }
    }

    /// Every key the code names literally (`t(lang, "…")`, field error codes) and every
    /// permission's label is in the catalogue.
    #[test]
    fn every_key_used_in_the_code_exists() {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        let mut sources = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http"),
            &mut sources,
        );
        let mut used = Vec::new();
        for source in &sources {
            for pattern in ["t(lang, \"", "code: \"", "ApiError::field(\""] {
                for (at, _) in source.match_indices(pattern) {
                    let rest = &source[at + pattern.len()..];
                    let rest = if pattern.starts_with("ApiError") {
                        // The second argument is the code.
                        rest.split_once("\", \"").map_or("", |(_, code)| code)
                    } else {
                        rest
                    };
                    let key = rest.split('"').next().unwrap_or_default();
                    if !key.is_empty() && !key.contains('{') {
                        used.push(key.to_owned());
                    }
                }
            }
        }
        assert!(used.len() > 100, "found {} keys", used.len());
        used.extend(
            crate::rbac::Permission::ALL
                .iter()
                .map(|p| format!("perm.{}", p.name())),
        );
        for key in used {
            assert!(
                lookup(Lang::En, &key).is_some(),
                "{key} is not in the catalogue"
            );
        }
    }

    #[test]
    fn lakh_and_crore_grouping() {
        assert_eq!(group_lakh(0, Lang::En), "0");
        assert_eq!(group_lakh(999, Lang::En), "999");
        assert_eq!(group_lakh(1000, Lang::En), "1,000");
        assert_eq!(group_lakh(100_000, Lang::En), "1,00,000");
        assert_eq!(group_lakh(1_234_567, Lang::En), "12,34,567");
        assert_eq!(group_lakh(123_456_789, Lang::En), "12,34,56,789");
        assert_eq!(group_lakh(1_234_567, Lang::Bn), "১২,৩৪,৫৬৭");
        assert_eq!(taka(123_456_750, Lang::En), "৳12,34,567.50");
        assert_eq!(taka(-5, Lang::En), "-৳0.05");
        assert_eq!(taka(150_000, Lang::Bn), "৳১,৫০০.০০");
    }

    #[test]
    fn dhaka_time_is_utc_plus_six() {
        // 2026-11-25 18:30 UTC is 00:30 the next day in Dhaka.
        assert_eq!(dhaka_time(1_795_631_400_000), "2026-11-26 00:30");
        assert_eq!(dhaka_time(0), "1970-01-01 06:00");
    }

    #[test]
    fn dhaka_days_start_at_six_the_evening_before_in_utc() {
        let start = dhaka_day_start("2026-11-26").unwrap();
        assert_eq!(dhaka_time(start), "2026-11-26 00:00");
        assert_eq!(start, 1_795_629_600_000);
        assert_eq!(
            dhaka_day_start("2024-02-29").map(dhaka_time).as_deref(),
            Some("2024-02-29 00:00")
        );
        assert_eq!(dhaka_day_start("2026-02-29"), None);
        assert_eq!(dhaka_day_start("2026-13-01"), None);
        assert_eq!(dhaka_day_start("yesterday"), None);
    }
}
