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
}
