//! Audit log page: filters (action, entity, who, Dhaka dates), older pages, CSV export.

use super::super::api::audit::{export_csv, AuditQuery};
use super::super::{ApiError, ApiResult, AppState, Auth};
use super::{escape, lang, Page};
use crate::i18n::{dhaka_time, t};
use crate::store::{audit, users};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

const PAGE_ROWS: i64 = 100;

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Response> {
    let lang = lang(&headers);
    let tenant = auth.tenant()?;
    let (entries, filter_error) = match q.filter() {
        Ok(filter) => (
            audit::list(&state.store, &tenant, &filter, q.before, PAGE_ROWS).await?,
            None,
        ),
        Err(ApiError::Validation(errors)) => (Vec::new(), errors.into_iter().next()),
        Err(e) => return Err(e),
    };
    let staff = users::list(&state.store, &tenant).await?;
    let name_of = |id: Option<crate::store::UserId>| {
        id.and_then(|id| staff.iter().find(|(u, _)| u.id == id))
            .map_or_else(|| "-".to_owned(), |(u, _)| u.username.clone())
    };
    let rows: String = entries
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td></tr>",
                dhaka_time(e.at),
                escape(&name_of(e.actor_user_id)),
                escape(&e.action),
                escape(&e.entity),
                escape(&e.entity_id),
                escape(&e.ip)
            )
        })
        .collect();
    let actors: String = staff
        .iter()
        .map(|(u, _)| {
            let selected = if q.actor.trim() == u.id.to_string() {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value={}{selected}>{}</option>",
                u.id,
                escape(&u.username)
            )
        })
        .collect();
    let input = |id: &str, key: &str, kind: &str, value: &str| {
        let invalid = filter_error.as_ref().is_some_and(|e| e.field == id);
        format!(
            "<label for=f-{id}>{}</label><input id=f-{id} name={id} type={kind} value=\"{}\" aria-invalid={invalid}>{}",
            t(lang, key),
            escape(value),
            if invalid {
                format!("<span class=error>{}</span>", t(lang, "audit.bad_date"))
            } else {
                String::new()
            }
        )
    };
    // Same filters, for the export link and the next page.
    let mut query = format!(
        "action={}&entity={}&entity_id={}&actor={}&from={}&until={}",
        super::super::urlencode(&q.action),
        super::super::urlencode(&q.entity),
        super::super::urlencode(&q.entity_id),
        super::super::urlencode(&q.actor),
        super::super::urlencode(&q.from),
        super::super::urlencode(&q.until),
    );
    let older = match entries.last() {
        Some(last) if entries.len() as i64 == PAGE_ROWS => format!(
            "<p><a href=\"/audit?{}&before={}\">{}</a></p>",
            escape(&query),
            last.id,
            t(lang, "audit.older")
        ),
        _ => String::new(),
    };
    if let Some(before) = q.before {
        query.push_str(&format!("&before={before}"));
    }
    let body = format!(
        "<h1>{title}</h1><form method=get action=/audit class=filters>{action}{entity}{entity_id}\
         <label for=f-actor>{who}</label><select id=f-actor name=actor><option value=\"\">{anyone}</option>{actors}</select>\
         {from}{until}<button type=submit>{filter}</button></form>\
         <p><a id=audit-export href=\"/audit.csv?{query}\" download>{export}</a></p>\
         <table id=audit><thead><tr><th>{when}</th><th>{who}</th><th>{action_label}</th><th>{entity_label}</th><th>IP</th></tr></thead>\
         <tbody>{rows}</tbody></table>{older}",
        title = t(lang, "audit.title"),
        action = input("action", "audit.action", "text", &q.action),
        entity = input("entity", "audit.entity", "text", &q.entity),
        entity_id = input("entity_id", "audit.entity_id", "text", &q.entity_id),
        who = t(lang, "audit.actor"),
        anyone = t(lang, "audit.anyone"),
        from = input("from", "audit.from", "date", &q.from),
        until = input("until", "audit.until", "date", &q.until),
        filter = t(lang, "audit.filter"),
        query = escape(&query),
        export = t(lang, "audit.export"),
        when = t(lang, "audit.when"),
        action_label = t(lang, "audit.action"),
        entity_label = t(lang, "audit.entity"),
    );
    let page = Page {
        lang,
        auth: &auth,
        path: "/audit",
    }
    .render(t(lang, "audit.title"), &body);
    let status = if filter_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page).into_response())
}

pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Response> {
    Ok(export_csv(&state, &auth, &q)
        .await?
        .download("setu-audit.csv"))
}
