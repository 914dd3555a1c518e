//! The page frame (navigation by permission, language switch, sign-out) and the simple pages.

use super::super::{ApiResult, AppState, Auth};
use super::lang;
use crate::i18n::{group_lakh, role_name, t, Lang};
use crate::rbac::Permission;
use crate::store::{branches, companies};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Html;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
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
        app = t(lang, "app.name"),
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
        let mut nav = format!("<a href=/><b>{}</b></a>", t(lang, "app.name"));
        for (permission, href, key) in [
            (Permission::DashboardView, "/", "nav.dashboard"),
            (
                Permission::SubscribersView,
                "/subscribers",
                "nav.subscribers",
            ),
            (Permission::SubscribersView, "/plans", "nav.plans"),
            (Permission::SubscribersView, "/sessions", "nav.sessions"),
            (Permission::RoutersView, "/fleet", "nav.fleet"),
            (Permission::BranchesView, "/branches", "nav.branches"),
            (Permission::UsersView, "/users", "nav.users"),
            (Permission::RolesManage, "/roles", "nav.roles"),
            (Permission::AuditView, "/audit", "nav.audit"),
            (Permission::SettingsManage, "/settings", "nav.settings"),
            (Permission::CompaniesManage, "/companies", "nav.companies"),
        ] {
            if self.auth.can(permission) {
                nav.push_str(&format!("<a href={href}>{}</a>", t(lang, key)));
            }
        }
        if self.auth.tenant.is_some() {
            nav.push_str(&format!("<a href=/tokens>{}</a>", t(lang, "nav.tokens")));
        }
        nav.push_str(&format!(
            "<span class=spacer></span><a href=\"/lang/{other}?next={path}\" id=lang-switch>{switch}</a>\
             <a href=/account>{user}</a><form method=post action=/logout><input type=hidden name=csrf value=\"{csrf}\">\
             <button type=submit>{logout}</button></form>",
            other = lang.other().code(),
            path = escape(&super::super::guard::urlencode(self.path)),
            switch = t(lang, "lang.switch"),
            user = escape(&self.auth.display_name),
            csrf = self.auth.csrf_token,
            logout = t(lang, "nav.logout"),
        ));
        Html(format!(
            "<!doctype html><html lang={code}><head><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>\
             <title>{title} · {app}</title><style>{STYLE}</style></head><body><nav>{nav}</nav><main>{body}</main></body></html>",
            code = lang.code(),
            title = escape(title),
            app = t(lang, "app.name"),
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
    errors: &[super::super::error::FieldError],
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

pub async fn dashboard(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> ApiResult<Html<String>> {
    let lang = lang(&headers);
    let (company, branch_count) = match auth.tenant {
        Some(tenant) => (
            companies::own(&state.store, &tenant).await?.name,
            branches::count(&state.store, &tenant).await?,
        ),
        None => ("-".to_owned(), 0),
    };
    let body = format!(
        "<h1>{welcome}, {name}</h1><table><tr><th>{company_label}</th><td id=company>{company}</td></tr>\
         <tr><th>{role_label}</th><td>{role}</td></tr>\
         <tr><th>{branches_label}</th><td id=branch-count>{branches}</td></tr></table>",
        welcome = t(lang, "dashboard.welcome"),
        name = escape(&auth.display_name),
        company_label = t(lang, "dashboard.company"),
        company = escape(&company),
        role_label = t(lang, "dashboard.role"),
        role = escape(&match (&auth.role, auth.is_platform_admin) {
            (Some(role), _) => role_name(lang, role),
            (None, true) => "platform admin".to_owned(),
            (None, false) => "-".to_owned(),
        }),
        branches_label = t(lang, "dashboard.branches"),
        branches = group_lakh(branch_count.max(0) as u64, lang),
    );
    Ok(Page {
        lang,
        auth: &auth,
        path: "/",
    }
    .render(t(lang, "dashboard.title"), &body))
}
