//! The page frame (navigation from every domain's `NAV`, language switch, sign-out), form
//! fields with their inline errors, and the 403/404 pages. Every string comes from the message
//! catalogue; every value is escaped; every form carries the session's CSRF token.

use super::Auth;
use crate::kernel::error::FieldError;
use crate::kernel::i18n::{t, Lang};
use crate::kernel::rbac::Permission;
use crate::tr;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// An entry of the navigation bar, declared by its domain.
#[derive(Debug)]
pub struct NavItem {
    pub href: &'static str,
    /// Catalogue key of the label.
    pub label: &'static str,
    /// Shown to users holding this; `None`: to anyone working in a company.
    pub needs: Option<Permission>,
    /// Where it goes in the bar (low first).
    pub position: u16,
}

/// The language chosen with the switch (cookie), English by default.
pub fn lang(headers: &HeaderMap) -> Lang {
    super::session::cookie(headers, "lang")
        .and_then(|c| Lang::from_code(&c))
        .unwrap_or(Lang::En)
}

/// Text for HTML: markup characters escaped, control characters (which no field accepts, but a
/// refused form shows what was typed) replaced by U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:16px/1.5 system-ui,'Noto Sans Bengali',sans-serif;margin:0;color:#1b1b1b}\
main{max-width:60rem;margin:0 auto;padding:1rem}nav{background:#0b5d3b;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}\
nav a,nav button{color:#fff;text-decoration:none;background:none;border:0;font:inherit;cursor:pointer;padding:.25rem 0}\
nav form{margin:0}.spacer{flex:1}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.5rem;border-bottom:1px solid #ddd}\
.card{display:grid;gap:.5rem;max-width:24rem;margin-bottom:1.5rem}input,select{font:inherit;padding:.5rem;border:1px solid #888;border-radius:4px;min-height:2.5rem}nav span{color:#fff}.hint{color:#555;font-size:.9em}\
button{font:inherit;padding:.5rem 1rem;background:#0b5d3b;color:#fff;border:0;border-radius:4px}\
.error{color:#b00020}.notice{color:#0b5d3b}[aria-invalid=true]{border-color:#b00020}@media(max-width:40rem){th,td{padding:.35rem}}";

/// A page without navigation (login, errors).
pub fn bare(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang={code}><head><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>\
         <title>{title} · {app}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        code = lang.code(),
        title = escape(title),
        app = tr!(lang, "app.name"),
    )
}

/// The signed-in frame.
pub struct Page<'a> {
    pub lang: Lang,
    pub auth: &'a Auth,
    pub path: &'a str,
}

impl Page<'_> {
    pub fn render(&self, title: &str, body: &str) -> Html<String> {
        let lang = self.lang;
        let mut items: Vec<&NavItem> = crate::DOMAINS.iter().flat_map(|d| d.nav).collect();
        items.sort_by_key(|item| item.position);
        let mut nav = format!("<a href=/><b>{}</b></a>", tr!(lang, "app.name"));
        for item in items {
            let shown = match item.needs {
                Some(permission) => self.auth.can(permission),
                None => self.auth.scope.is_some(),
            };
            if shown {
                nav.push_str(&format!(
                    "<a href={}>{}</a>",
                    item.href,
                    t(lang, item.label)
                ));
            }
        }
        nav.push_str(&format!(
            "<span class=spacer></span><a href=\"/lang/{other}?next={path}\" id=lang-switch>{switch}</a>\
             <a href=/account>{user}</a><form method=post action=/logout><input type=hidden name=csrf value=\"{csrf}\">\
             <button type=submit>{logout}</button></form>",
            other = lang.other().code(),
            path = escape(&super::form::urlencode(self.path)),
            switch = tr!(lang, "lang.switch"),
            user = escape(&self.auth.display_name),
            csrf = self.auth.csrf_token,
            logout = tr!(lang, "nav.logout"),
        ));
        Html(format!(
            "<!doctype html><html lang={code}><head><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>\
             <title>{title} · {app}</title><style>{STYLE}</style></head><body><nav>{nav}</nav><main>{body}</main></body></html>",
            code = lang.code(),
            title = escape(title),
            app = tr!(lang, "app.name"),
        ))
    }
}

/// A labelled input with its inline error (a catalogue key), wired for screen readers.
pub fn field(
    lang: Lang,
    id: &str,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    errors: &[FieldError],
) -> String {
    let error = errors.iter().find(|e| e.field == name);
    format!(
        "<label for={id}>{label}</label><input id={id} name={name} type={kind} value=\"{value}\" aria-invalid={invalid}{described}>{message}",
        label = t(lang, label),
        value = escape(value),
        invalid = error.is_some(),
        described = if error.is_some() { format!(" aria-describedby={id}-error") } else { String::new() },
        message = error.map_or(String::new(), |e| format!("<span class=error id={id}-error>{}</span>", t(lang, e.code))),
    )
}

/// The 403 page for a signed-in user whose role lacks the permission.
pub fn forbidden(req: &axum::extract::Request) -> Response {
    simple(
        req,
        StatusCode::FORBIDDEN,
        tr!(lang(req.headers()), "forbidden.title"),
        tr!(lang(req.headers()), "forbidden.body"),
    )
}

/// The 404 page.
pub fn not_found(req: &axum::extract::Request) -> Response {
    simple(
        req,
        StatusCode::NOT_FOUND,
        tr!(lang(req.headers()), "not_found.title"),
        tr!(lang(req.headers()), "not_found.body"),
    )
}

fn simple(req: &axum::extract::Request, status: StatusCode, title: &str, text: &str) -> Response {
    let lang = lang(req.headers());
    let body = format!(
        "<h1>{title}</h1><p>{text}</p><p><a href=\"/\">{}</a></p>",
        tr!(lang, "nav.dashboard")
    );
    (status, Html(bare(lang, title, &body))).into_response()
}

/// A `<select>` with its inline error; `chosen` is the selected value.
pub fn select(
    lang: Lang,
    id: &str,
    name: &str,
    label: &str,
    chosen: &str,
    options: &[(String, String)],
    errors: &[FieldError],
) -> String {
    let error = errors.iter().find(|e| e.field == name);
    let options: String = options
        .iter()
        .map(|(value, text)| {
            let selected = if chosen == value { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{selected}>{}</option>",
                escape(value),
                escape(text)
            )
        })
        .collect();
    format!(
        "<label for={id}>{label}</label><select id={id} name={name} aria-invalid={invalid}{described}>{options}</select>{message}",
        label = t(lang, label),
        invalid = error.is_some(),
        described = if error.is_some() { format!(" aria-describedby={id}-error") } else { String::new() },
        message = error.map_or(String::new(), |e| format!("<span class=error id={id}-error>{}</span>", t(lang, e.code))),
    )
}

/// The form's errors that belong to no field shown, as alerts.
pub fn other_errors(lang: Lang, errors: &[FieldError], shown: &[&str]) -> String {
    errors
        .iter()
        .filter(|e| !shown.contains(&e.field))
        .map(|e| format!("<p class=error role=alert>{}</p>", t(lang, e.code)))
        .collect()
}
