//! The audit log page: filters (action, entity, who, Dhaka dates), older pages, CSV export.

use super::api::AuditQuery;
use super::VIEW;
use crate::kernel::audit;
use crate::kernel::date::dhaka_time;
use crate::kernel::http::csv::{Csv, EXPORT_MAX_ROWS};
use crate::kernel::http::extract::ApiQuery;
use crate::kernel::http::form::urlencode;
use crate::kernel::http::list::PageQuery;
use crate::kernel::http::page::{escape, Page};
use crate::kernel::http::{Access, Auth, Routes};
use crate::kernel::i18n::{t, Lang};
use crate::kernel::work::Work;
use crate::kernel::{Error, Result};
use crate::tr;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const PAGE_ROWS: i64 = 100;

pub fn routes(r: Routes) -> Routes {
    r.add("GET", "/audit", Access::Needs(VIEW), get(list)).add(
        "GET",
        "/audit.csv",
        Access::Needs(VIEW),
        get(export),
    )
}

async fn list(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Response> {
    let scope = work.scope();
    let page = PageQuery {
        limit: Some(PAGE_ROWS),
        ..q.page()
    };
    let (entries, filter_error) = match q.filter() {
        Ok(filter) => (
            audit::list(work.db(), &scope, Some(auth.user_id), &filter, &page).await?,
            None,
        ),
        Err(Error::Validation(errors)) => (Default::default(), errors.into_iter().next()),
        Err(e) => return Err(e),
    };
    let staff = crate::staff::store::members(&mut work, &PageQuery::first(500))
        .await?
        .items;
    let name_of = |e: &audit::Entry| match e.actor_user_id {
        Some(id) => staff
            .iter()
            .find(|m| m.user.id == id)
            .map_or_else(|| id.to_string(), |m| m.user.username.clone()),
        None if e.actor.is_empty() => "-".to_owned(),
        None => e.actor.clone(),
    };
    let rows: String = entries
        .items
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td></tr>",
                dhaka_time(e.at),
                escape(&name_of(e)),
                escape(&e.action),
                escape(&e.entity),
                escape(&e.entity_id),
                escape(&e.ip)
            )
        })
        .collect();
    let actors: String = staff
        .iter()
        .map(|m| {
            let selected = if q.actor.trim() == m.user.id.to_string() {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value={}{selected}>{}</option>",
                m.user.id,
                escape(&m.user.username)
            )
        })
        .collect();
    let input = |id: &str, key: &str, kind: &str, value: &str| {
        let error = filter_error.as_ref().filter(|e| e.field == id);
        format!(
            "<label for=f-{id}>{}</label><input id=f-{id} name={id} type={kind} value=\"{}\" aria-invalid={}>{}",
            t(lang, key),
            escape(value),
            error.is_some(),
            error.map_or(String::new(), |e| format!("<span class=error>{}</span>", t(lang, e.code)))
        )
    };
    // Same filters, for the export link and the next page.
    let mut query = format!(
        "action={}&entity={}&entity_id={}&actor={}&from={}&until={}",
        urlencode(&q.action),
        urlencode(&q.entity),
        urlencode(&q.entity_id),
        urlencode(&q.actor),
        urlencode(&q.from),
        urlencode(&q.until),
    );
    let older = match entries.next_before {
        Some(before) => format!(
            "<p><a href=\"/audit?{}&before={before}\">{}</a></p>",
            escape(&query),
            tr!(lang, "audit.older")
        ),
        None => String::new(),
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
        title = tr!(lang, "audit.title"),
        action = input("action", "audit.action", "text", &q.action),
        entity = input("entity", "audit.entity", "text", &q.entity),
        entity_id = input("entity_id", "audit.entity_id", "text", &q.entity_id),
        who = tr!(lang, "audit.actor"),
        anyone = tr!(lang, "audit.anyone"),
        from = input("from", "audit.from", "date", &q.from),
        until = input("until", "audit.until", "date", &q.until),
        filter = tr!(lang, "audit.filter"),
        query = escape(&query),
        export = tr!(lang, "audit.export"),
        when = tr!(lang, "audit.when"),
        action_label = tr!(lang, "audit.action"),
        entity_label = tr!(lang, "audit.entity"),
    );
    let page = Page {
        lang,
        auth: &auth,
        path: "/audit",
    }
    .render(tr!(lang, "audit.title"), &body);
    let status = if filter_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page).into_response())
}

/// The matching entries, newest first, as CSV (at most [`EXPORT_MAX_ROWS`]).
async fn export(mut work: Work, auth: Auth, ApiQuery(q): ApiQuery<AuditQuery>) -> Result<Response> {
    let filter = q.filter()?;
    let scope = work.scope();
    let mut out = Csv::new(&[
        "id",
        "time_dhaka",
        "actor_user_id",
        "actor",
        "action",
        "entity",
        "entity_id",
        "ip",
        "user_agent",
        "before",
        "after",
        "hash",
    ]);
    let mut page = PageQuery {
        limit: Some(500),
        ..q.page()
    };
    let mut written = 0;
    while written < EXPORT_MAX_ROWS {
        let entries = audit::list(work.db(), &scope, Some(auth.user_id), &filter, &page).await?;
        for e in &entries.items {
            out.row(&[
                e.id.to_string(),
                dhaka_time(e.at),
                e.actor_user_id.map_or(String::new(), |u| u.to_string()),
                e.actor.clone(),
                e.action.clone(),
                e.entity.clone(),
                e.entity_id.clone(),
                e.ip.clone(),
                e.user_agent.clone(),
                e.before.to_string(),
                e.after.to_string(),
                e.hash.clone(),
            ]);
        }
        written += entries.items.len();
        match entries.next_before {
            Some(before) => page.before = Some(before),
            None => break,
        }
    }
    Ok(out.download("setu-audit.csv"))
}
