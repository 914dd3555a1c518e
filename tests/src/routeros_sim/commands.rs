//! What a logged-in command does: finding the menu and command from the command word, then
//! print (queries, `.proplist`, `count-only`), add, set, remove, enable, disable, unset.
//! Session-level commands (`/login`, `/quit`, `/cancel`, `listen`) live in `connection`.

use protocol::routeros::Request;

use super::query::Query;
use super::schema::{self, MenuSpec};
use super::state::{format_id, Attributes, Router, Row, Trap};

/// Flags `print` accepts and ignores (`detail` and `stats` change only the CLI's layout: the
/// API always returns every property).
const PRINT_FLAGS: &[&str] = &[
    ".proplist",
    "count-only",
    "detail",
    "stats",
    "terse",
    "without-paging",
    "brief",
];

/// Where a command word leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Login,
    Quit,
    Cancel,
    Menu(&'static MenuSpec, &'static str),
}

/// Resolves a command word such as `/ppp/secret/add`.
///
/// A path whose directory RouterOS has but whose last word is not a command there gets
/// `no such command or directory (<word>)`; an unknown directory gets `no such command prefix`
/// (as `/ip/hotspot/user-profile/...` does on real routers, reference §2.4).
pub(crate) fn route(command: &[u8]) -> Result<Route, Trap> {
    let text = std::str::from_utf8(command).map_err(|_| Trap::new("no such command prefix"))?;
    let Some((prefix, word)) = text.rsplit_once('/') else {
        return Err(Trap::new("no such command prefix"));
    };
    if !text.starts_with('/') {
        return Err(Trap::new("no such command prefix"));
    }
    match (prefix, word) {
        ("", "login") => return Ok(Route::Login),
        ("", "quit") => return Ok(Route::Quit),
        ("", "cancel") => return Ok(Route::Cancel),
        _ => {}
    }
    if let Some(spec) = schema::menu(prefix) {
        if let Some(cmd) = spec.commands.iter().find(|c| **c == word) {
            return Ok(Route::Menu(spec, cmd));
        }
    } else if !schema::is_known_prefix(prefix) {
        return Err(Trap::new("no such command prefix"));
    }
    Err(Trap::new(format!("no such command or directory ({word})")))
}

/// The result of one command, before it becomes reply sentences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// `!re` per row (a row may be empty: bare `!re`), then `!done` (`!empty` first on 7.18+
    /// when there are none).
    Rows(Vec<Row>),
    /// `!done =ret=<n>` for `count-only`.
    Count(usize),
    /// `!done`, with `=ret=` when given.
    Done(Option<Vec<u8>>),
    Trap(Trap),
}

impl From<Result<(), Trap>> for Outcome {
    fn from(r: Result<(), Trap>) -> Self {
        match r {
            Ok(()) => Outcome::Done(None),
            Err(t) => Outcome::Trap(t),
        }
    }
}

fn attributes(req: &Request) -> Attributes {
    req.attributes
        .iter()
        .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.clone()))
        .collect()
}

/// `=.proplist=a,b` as a list of names.
pub(crate) fn proplist(req: &Request) -> Option<Vec<String>> {
    req.attr(".proplist").map(|list| {
        list.split(|&b| b == b',')
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect()
    })
}

/// Keeps only the listed properties; a row with none of them becomes a bare `!re`.
pub(crate) fn select(row: Row, props: Option<&[String]>) -> Row {
    match props {
        None => row,
        Some(props) => row
            .into_iter()
            .filter(|(k, _)| props.iter().any(|p| p == k))
            .collect(),
    }
}

/// Runs a menu command other than `listen`.
pub(crate) fn execute(
    router: &mut Router,
    spec: &'static MenuSpec,
    cmd: &str,
    req: &Request,
) -> Outcome {
    let changes_state = !matches!(cmd, "print" | "getall" | "listen");
    if changes_state {
        *router
            .command_counts
            .entry(format!("{}/{cmd}", spec.path))
            .or_default() += 1;
    }
    match cmd {
        "print" | "getall" => print(router, spec, req),
        "add" => match router.add(spec, &attributes(req)) {
            Ok(id) => Outcome::Done(Some(format_id(id).into_bytes())),
            Err(t) => Outcome::Trap(t),
        },
        "set" if spec.path == schema::SYSTEM_IDENTITY.path => set_identity(router, req),
        "set" => {
            let (ids, rest) = match selected(router, spec, req) {
                Ok(v) => v,
                Err(t) => return Outcome::Trap(t),
            };
            router.set(spec, &ids, &rest).into()
        }
        "enable" | "disable" => {
            let (ids, rest) = match selected(router, spec, req) {
                Ok(v) => v,
                Err(t) => return Outcome::Trap(t),
            };
            if let Some((name, _)) = rest.first() {
                return Outcome::Trap(router.unknown_parameter(name));
            }
            let disabled = if cmd == "disable" { "true" } else { "false" };
            router
                .set(spec, &ids, &[("disabled".to_owned(), disabled.into())])
                .into()
        }
        "remove" => {
            let (ids, rest) = match selected(router, spec, req) {
                Ok(v) => v,
                Err(t) => return Outcome::Trap(t),
            };
            if let Some((name, _)) = rest.first() {
                return Outcome::Trap(router.unknown_parameter(name));
            }
            router.remove(spec, &ids).into()
        }
        "unset" => {
            let (ids, rest) = match selected(router, spec, req) {
                Ok(v) => v,
                Err(t) => return Outcome::Trap(t),
            };
            match rest.as_slice() {
                [(name, value)] if name == "value-name" => router
                    .unset(spec, &ids, &String::from_utf8_lossy(value))
                    .into(),
                // (unverified) wording when value-name is missing.
                [] => Outcome::Trap(Trap::new("failure: value-name not specified")),
                [(name, _), ..] => Outcome::Trap(router.unknown_parameter(name)),
            }
        }
        _ => Outcome::Trap(Trap::new(format!("no such command or directory ({cmd})"))),
    }
}

/// The items named by `=.id=` or `=numbers=`, and the other attributes.
///
/// (unverified) A command that names no item gets `no such item`.
fn selected(
    router: &Router,
    spec: &MenuSpec,
    req: &Request,
) -> Result<(Vec<u64>, Attributes), Trap> {
    let mut selector = None;
    let mut rest = Vec::new();
    for (k, v) in attributes(req) {
        if k == ".id" || k == "numbers" {
            selector = Some(v);
        } else {
            rest.push((k, v));
        }
    }
    let selector = selector.ok_or_else(Trap::no_such_item)?;
    Ok((router.resolve(spec.path, &selector)?, rest))
}

fn set_identity(router: &mut Router, req: &Request) -> Outcome {
    for (k, _) in attributes(req) {
        if k != "name" {
            return Outcome::Trap(router.unknown_parameter(&k));
        }
    }
    if let Some(name) = req.attr("name") {
        router.set_identity(name.to_vec());
    }
    Outcome::Done(None)
}

fn print(router: &Router, spec: &MenuSpec, req: &Request) -> Outcome {
    if let Some((k, _)) = attributes(req)
        .into_iter()
        .find(|(k, _)| !PRINT_FLAGS.contains(&k.as_str()))
    {
        return Outcome::Trap(router.unknown_parameter(&k));
    }
    let query = Query::parse(&req.queries);
    let rows = router.print(spec.path);
    let matching = rows
        .into_iter()
        .filter(|r| query.is_empty() || query.matches(r));
    if req.attr("count-only").is_some() {
        return Outcome::Count(matching.count());
    }
    let props = proplist(req);
    Outcome::Rows(matching.map(|r| select(r, props.as_deref())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_like_routeros() {
        assert_eq!(route(b"/login"), Ok(Route::Login));
        assert_eq!(
            route(b"/ppp/secret/add"),
            Ok(Route::Menu(&schema::PPP_SECRET, "add"))
        );
        assert_eq!(
            route(b"/ppp/active/add"),
            Err(Trap::new("no such command or directory (add)"))
        );
        assert_eq!(
            route(b"/ppp/secret"),
            Err(Trap::new("no such command or directory (secret)"))
        );
        assert_eq!(
            route(b"/ip/hotspot/user-profile/print"),
            Err(Trap::new("no such command prefix"))
        );
        assert_eq!(
            route(b"/ip/hotspot/user/profile/print"),
            Ok(Route::Menu(&schema::HOTSPOT_PROFILE, "print"))
        );
        assert_eq!(route(b"login"), Err(Trap::new("no such command prefix")));
    }
}
