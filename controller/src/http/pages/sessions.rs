//! Session log page: PPPoE/hotspot sessions by username, subscriber, or "who had address X at
//! time T" (Dhaka time), with a CSV export for BTRC and law-enforcement requests.

use super::super::api::audit::Csv;
use super::super::api::sessions::SessionParams;
use super::super::{ApiError, ApiResult, AppState, Auth};
use super::{escape, lang, Page};
use crate::i18n::{dhaka_time, t};
use crate::store::fleet;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

const PAGE_ROWS: i64 = 100;
/// Most rows in one export.
const EXPORT_MAX_ROWS: usize = 100_000;

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    Query(params): Query<SessionParams>,
) -> ApiResult<Response> {
    let lang = lang(&headers);
    let tenant = auth.tenant()?;
    let (rows, error) = match params.query() {
        Ok(q) => (
            fleet::sessions(&state.store, &tenant, &q, params.before, PAGE_ROWS).await?,
            None,
        ),
        Err(ApiError::Validation(mut errors)) => (Vec::new(), errors.pop()),
        Err(e) => return Err(e),
    };
    let table: String = rows
        .iter()
        .map(|s| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&s.username),
                escape(&s.address),
                escape(&s.caller_id),
                dhaka_time(s.started_at),
                s.ended_at
                    .map_or_else(|| t(lang, "sessions.online").to_owned(), dhaka_time),
                escape(&s.service),
            )
        })
        .collect();
    let input = |name: &str, key: &str, value: &str, hint: &str| {
        let invalid = error.as_ref().is_some_and(|e| e.field == name);
        format!(
            "<label for=s-{name}>{}</label><input id=s-{name} name={name} value=\"{}\" placeholder=\"{hint}\" aria-invalid={invalid}>{}",
            t(lang, key),
            escape(value),
            error
                .as_ref()
                .filter(|e| e.field == name)
                .map_or(String::new(), |e| format!("<span class=error>{}</span>", t(lang, e.code))),
        )
    };
    let query = format!(
        "username={}&address={}&at={}&subscriber_id={}",
        super::super::urlencode(&params.username),
        super::super::urlencode(&params.address),
        super::super::urlencode(&params.at),
        super::super::urlencode(&params.subscriber_id),
    );
    let older = match rows.last() {
        Some(last) if rows.len() as i64 == PAGE_ROWS => format!(
            "<p><a href=\"/sessions?{}&before={}\">{}</a></p>",
            escape(&query),
            last.id,
            t(lang, "audit.older")
        ),
        _ => String::new(),
    };
    let body = format!(
        "<h1>{title}</h1><p class=hint>{hint}</p><form method=get action=/sessions class=filters>\
         {user}{address}{at}<button type=submit>{filter}</button></form>\
         <p><a id=sessions-export href=\"/sessions.csv?{query}\" download>{export}</a></p>\
         <table id=sessions><thead><tr><th>{user_h}</th><th>{address_h}</th><th>{caller}</th><th>{start}</th><th>{end}</th><th>{service}</th></tr></thead>\
         <tbody>{table}</tbody></table>{older}",
        title = t(lang, "sessions.title"),
        hint = t(lang, "sessions.hint"),
        user = input("username", "subscribers.pppoe_username", &params.username, ""),
        address = input("address", "sessions.address", &params.address, "10.20.0.15"),
        at = input("at", "sessions.at", &params.at, "2026-11-25 21:30"),
        filter = t(lang, "audit.filter"),
        query = escape(&query),
        export = t(lang, "audit.export"),
        user_h = t(lang, "subscribers.pppoe_username"),
        address_h = t(lang, "sessions.address"),
        caller = t(lang, "sessions.caller_id"),
        start = t(lang, "sessions.started"),
        end = t(lang, "sessions.ended"),
        service = t(lang, "sessions.service"),
    );
    let page = Page {
        lang,
        auth: &auth,
        path: "/sessions",
    }
    .render(t(lang, "sessions.title"), &body);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page).into_response())
}

pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<SessionParams>,
) -> ApiResult<Response> {
    let tenant = auth.tenant()?;
    let q = params.query()?;
    let mut out = Csv::new(&[
        "username",
        "address",
        "caller_id",
        "started_dhaka",
        "ended_dhaka",
        "service",
        "subscriber_id",
        "router_id",
        "bytes_in",
        "bytes_out",
    ]);
    let mut before = params.before;
    let mut written = 0;
    while written < EXPORT_MAX_ROWS {
        let page = fleet::sessions(&state.store, &tenant, &q, before, 1000).await?;
        for s in &page {
            let cells = [
                s.username.clone(),
                s.address.clone(),
                s.caller_id.clone(),
                dhaka_time(s.started_at),
                s.ended_at.map_or(String::new(), dhaka_time),
                s.service.clone(),
                s.subscriber_id.map_or(String::new(), |id| id.to_string()),
                s.router_id.to_string(),
                s.bytes_in.map_or(String::new(), |b| b.to_string()),
                s.bytes_out.map_or(String::new(), |b| b.to_string()),
            ];
            out.row(&cells);
        }
        written += page.len();
        match page.last() {
            Some(last) if page.len() == 1000 => before = Some(last.id),
            _ => break,
        }
    }
    Ok(out.download("setu-sessions.csv"))
}
