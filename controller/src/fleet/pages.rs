//! Fleet pages: POPs and routers with their agents' live status (updated in place from
//! `/fleet/live`, server-sent events), one router's page with enrollment, revocation, desired
//! vs applied version, drift and commands, and the session log with its CSV export.

use super::api::SessionParams;
use super::service::{self, CommandRequest, Enrollment, PopInput, RouterInput};
use super::store::{self, Router};
use super::{FleetEvent, MANAGE, VIEW};
use crate::kernel::date::dhaka_time;
use crate::kernel::error::FieldError;
use crate::kernel::http::csv::{Csv, EXPORT_MAX_ROWS};
use crate::kernel::http::extract::{ApiQuery, Input};
use crate::kernel::http::form::urlencode;
use crate::kernel::http::list::PageQuery;
use crate::kernel::http::page::{escape, field, select, Page};
use crate::kernel::http::{session, Access, Auth, Routes};
use crate::kernel::i18n::{group_lakh, t, Lang};
use crate::kernel::ids::RouterId;
use crate::kernel::scope::Scope;
use crate::kernel::work::Work;
use crate::kernel::{Error, Result};
use crate::{tr, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::time::Duration;

pub fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let sessions = Needs(crate::subscribers::VIEW);
    r.add("GET", "/fleet", Needs(VIEW), get(list))
        .add("GET", "/fleet/live", Needs(VIEW), get(live))
        .add("POST", "/pops", Needs(MANAGE), post(add_pop))
        .add("POST", "/routers", Needs(MANAGE), post(add_router))
        .add("GET", "/routers/{id}", Needs(VIEW), get(show))
        .add(
            "POST",
            "/routers/{id}/enrollment",
            Needs(MANAGE),
            post(enroll),
        )
        .add("POST", "/routers/{id}/revoke", Needs(MANAGE), post(revoke))
        .add(
            "POST",
            "/routers/{id}/commands",
            Needs(MANAGE),
            post(command),
        )
        .add("GET", "/sessions", sessions, get(sessions_page))
        .add("GET", "/sessions.csv", sessions, get(sessions_export))
}

/// One router's status cells; the live script swaps the row's cells for these.
pub fn status_cells(lang: Lang, r: &Router) -> String {
    let state = if r.revoked_at.is_some() {
        format!("<span class=error>{}</span>", tr!(lang, "fleet.revoked"))
    } else if r.agent_public_key.is_none() {
        tr!(lang, "fleet.not_enrolled").to_owned()
    } else if r.status.online {
        format!("<b class=notice>{}</b>", tr!(lang, "fleet.online"))
    } else {
        format!("<span class=error>{}</span>", tr!(lang, "fleet.offline"))
    };
    let sync = match r.lagging_since() {
        None => format!("<span class=notice>{}</span>", tr!(lang, "fleet.in_sync")),
        Some(since) => format!(
            "{} {} / {} <span class=hint>{} {}</span>",
            tr!(lang, "fleet.pending"),
            r.applied_version,
            r.desired_version,
            tr!(lang, "fleet.lagging_since"),
            dhaka_time(since),
        ),
    };
    let memory = match (r.status.free_memory, r.status.total_memory) {
        (Some(free), Some(total)) if total > 0 => format!("{}%", 100 - free * 100 / total),
        _ => "-".into(),
    };
    format!(
        "<td data-col=state>{state}</td><td data-col=seen>{seen}</td><td data-col=version>{version}</td>\
         <td data-col=cpu>{cpu}</td><td data-col=memory>{memory}</td><td data-col=sessions>{sessions}</td><td data-col=sync>{sync}</td>",
        seen = r.status.last_seen_at.map_or("-".into(), dhaka_time),
        version = escape(&r.status.routeros_version),
        cpu = r.status.cpu_load.map_or("-".into(), |c| format!("{c}%")),
        sessions = group_lakh(r.status.sessions_online.max(0) as u64, lang),
    )
}

/// Keeps rows marked `data-router` current from the live stream (no reload).
const LIVE_SCRIPT: &str = "<script>(function(){if(!window.EventSource)return;\
var s=new EventSource('/fleet/live');s.addEventListener('router',function(e){var d=JSON.parse(e.data);\
var row=document.querySelector('[data-router=\"'+d.id+'\"]');if(row){row.querySelectorAll('td[data-col]').forEach(function(c){c.remove();});\
row.insertAdjacentHTML('beforeend',d.cells);}});s.addEventListener('end',function(){s.close();});})();</script>";

async fn list(mut work: Work, lang: Lang, auth: Auth) -> Result<Html<String>> {
    render(&mut work, lang, &auth, &[]).await
}

async fn render(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    errors: &[FieldError],
) -> Result<Html<String>> {
    let pops = store::pops(work, &PageQuery::first(500)).await?.items;
    let routers = store::routers(work, &PageQuery::first(500)).await?.items;
    let rows: String = routers
        .iter()
        .map(|r| {
            let pop = pops.iter().find(|p| p.id == r.pop_id).map_or("-", |p| p.name.as_str());
            format!(
                "<tr data-router={id}><td><a href=/routers/{id}>{name}</a></td><td>{pop}</td>{cells}</tr>",
                id = r.id,
                name = escape(&r.name),
                pop = escape(pop),
                cells = status_cells(lang, r),
            )
        })
        .collect();
    let forms = if auth.can(MANAGE) {
        let pop_options: Vec<(String, String)> = pops
            .iter()
            .map(|p| (p.id.to_string(), p.name.clone()))
            .collect();
        // The POP form's name field is `pop_name` on this page (the router form has `name`).
        let pop_errors: Vec<FieldError> = errors
            .iter()
            .filter(|e| e.field == "pop_name")
            .cloned()
            .collect();
        format!(
            "<h2>{add_pop}</h2><form method=post action=/pops class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             {pop_name}<button type=submit>{add_pop}</button></form>\
             <h2>{add_router}</h2><form method=post action=/routers class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             {pop}{router_name}<button type=submit>{add_router}</button></form>",
            add_pop = tr!(lang, "fleet.add_pop"),
            add_router = tr!(lang, "fleet.add_router"),
            csrf = auth.csrf_token,
            pop = select(lang, "router-pop", "pop_id", "fleet.pop", "", &pop_options, errors),
            pop_name = field(lang, "pop-name", "pop_name", "fleet.pop_name", "text", "", &pop_errors),
            router_name = field(lang, "router-name", "name", "fleet.router_name", "text", "", errors),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1><table id=routers><thead><tr><th>{router}</th><th>{pop}</th><th>{state_h}</th><th>{seen}</th>\
         <th>RouterOS</th><th>CPU</th><th>{memory}</th><th>{sessions}</th><th>{sync}</th></tr></thead><tbody>{rows}</tbody></table>\
         {forms}{LIVE_SCRIPT}",
        title = tr!(lang, "fleet.title"),
        router = tr!(lang, "fleet.router"),
        pop = tr!(lang, "fleet.pop"),
        state_h = tr!(lang, "fleet.state"),
        seen = tr!(lang, "fleet.last_seen"),
        memory = tr!(lang, "fleet.memory"),
        sessions = tr!(lang, "fleet.sessions"),
        sync = tr!(lang, "fleet.sync"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/fleet",
    }
    .render(tr!(lang, "fleet.title"), &body))
}

/// The page again with the form's errors (422), or the error itself.
async fn invalid(work: Work, lang: Lang, auth: &Auth, e: Error) -> Result<Response> {
    if e.fields().is_empty() {
        return Err(e);
    }
    let mut work = work.rolled_back().await?;
    let page = render(&mut work, lang, auth, e.fields()).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Deserialize)]
struct PopForm {
    pop_name: String,
}

async fn add_pop(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(form): Input<PopForm>,
) -> Result<Response> {
    let input = PopInput {
        name: form.pop_name,
        branch_id: None,
    };
    match service::create_pop(&mut work, &input).await {
        Ok(_) => {
            work.commit().await?;
            Ok(Redirect::to("/fleet").into_response())
        }
        Err(Error::Validation(errors) | Error::Conflict(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| {
                    if e.field == "name" {
                        FieldError::new("pop_name", e.code)
                    } else {
                        e
                    }
                })
                .collect();
            invalid(work, lang, &auth, Error::Validation(errors)).await
        }
        Err(e) => Err(e),
    }
}

async fn add_router(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<RouterInput>,
) -> Result<Response> {
    match service::create_router(&mut work, &input).await {
        Ok(router) => {
            work.commit().await?;
            Ok(Redirect::to(&format!("/routers/{}", router.id)).into_response())
        }
        Err(e) => invalid(work, lang, &auth, e).await,
    }
}

async fn show(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Path(id): Path<RouterId>,
) -> Result<Html<String>> {
    render_router(&mut work, lang, &auth, id, None).await
}

async fn render_router(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    id: RouterId,
    enrollment: Option<&Enrollment>,
) -> Result<Html<String>> {
    let router = store::router(work, id).await?;
    let drift = if router.status.drift_json.is_empty() {
        "-".to_owned()
    } else {
        format!("<pre id=drift>{}</pre>", escape(&router.status.drift_json))
    };
    let interfaces: String = serde_json::from_str::<Vec<protocol::fleet::InterfaceCounters>>(
        &router.status.interfaces_json,
    )
    .unwrap_or_default()
    .iter()
    .map(|i| {
        format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&i.name),
            if i.running { "✓" } else { "✗" },
            group_lakh(i.rx_bytes, lang),
            group_lakh(i.tx_bytes, lang)
        )
    })
    .collect();
    let shown_once = enrollment.map_or(String::new(), |e| {
        format!(
            "<p class=notice role=status>{hint}</p><p><output id=enrollment-command>{command}</output></p><p class=hint>{until} {expires}</p>",
            hint = tr!(lang, "fleet.enrollment_once"),
            command = escape(&e.command),
            until = tr!(lang, "fleet.valid_until"),
            expires = dhaka_time(e.expires_at),
        )
    });
    let commands: String = service::commands(work, id)
        .await?
        .iter()
        .take(20)
        .map(|c| {
            format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                dhaka_time(c.issued_at),
                escape(&c.action.to_string()),
                escape(&c.state),
                escape(&c.detail.chars().take(200).collect::<String>()),
            )
        })
        .collect();
    let actions = if auth.can(MANAGE) {
        format!(
            "<h2>{commands_title}</h2><form method=post action=/routers/{id}/commands class=card>\
             <input type=hidden name=csrf value=\"{csrf}\"><label for=command-action>{action_label}</label>\
             <select id=command-action name=action><option value=resync>{resync}</option><option value=kick>{kick}</option>\
             <option value=diagnostics>{diagnostics}</option></select>\
             <label for=command-user>{user_label}</label><input id=command-user name=user>\
             <button type=submit>{send}</button></form>\
             <form method=post action=/routers/{id}/enrollment><input type=hidden name=csrf value=\"{csrf}\">\
             <button type=submit>{enroll}</button></form>\
             <form method=post action=/routers/{id}/revoke><input type=hidden name=csrf value=\"{csrf}\">\
             <button type=submit>{revoke}</button></form>",
            id = router.id,
            csrf = auth.csrf_token,
            commands_title = tr!(lang, "fleet.commands"),
            action_label = tr!(lang, "fleet.command"),
            resync = tr!(lang, "fleet.cmd_resync"),
            kick = tr!(lang, "fleet.cmd_kick"),
            diagnostics = tr!(lang, "fleet.cmd_diagnostics"),
            user_label = tr!(lang, "fleet.kick_user"),
            send = tr!(lang, "fleet.send"),
            enroll = tr!(lang, "fleet.enroll"),
            revoke = tr!(lang, "fleet.revoke"),
        )
    } else {
        String::new()
    };
    let actions = format!("{actions}<table id=commands><tbody>{commands}</tbody></table>");
    let body = format!(
        "<h1>{name}</h1>{shown_once}<table><tbody data-router={id}>\
         <tr><th>{agent_label}</th><td><code>{agent}</code></td></tr>\
         <tr><th>{desired_label}</th><td id=desired-version>{desired}</td></tr>\
         <tr><th>{applied_label}</th><td id=applied-version>{applied}</td></tr>\
         <tr><th>{identity_label}</th><td>{identity}</td></tr>\
         <tr><th>{drift_label}</th><td>{drift}</td></tr></tbody></table>\
         <table id=routers><tbody><tr data-router={id}>{cells}</tr></tbody></table>\
         <h2>{interfaces_title}</h2><table id=interfaces><thead><tr><th>{router_label}</th><th></th><th>RX bytes</th><th>TX bytes</th></tr></thead>\
         <tbody>{interfaces}</tbody></table>{actions}{LIVE_SCRIPT}",
        interfaces_title = tr!(lang, "fleet.interfaces"),
        router_label = tr!(lang, "fleet.interface"),
        name = escape(&router.name),
        id = router.id,
        agent_label = tr!(lang, "fleet.agent"),
        agent = escape(&router.agent_id),
        desired_label = tr!(lang, "fleet.desired_version"),
        desired = router.desired_version,
        applied_label = tr!(lang, "fleet.applied_version"),
        applied = router.applied_version,
        identity_label = tr!(lang, "fleet.identity"),
        identity = escape(&router.status.identity),
        drift_label = tr!(lang, "fleet.drift"),
        cells = status_cells(lang, &router),
    );
    Ok(Page {
        lang,
        auth,
        path: "/fleet",
    }
    .render(&router.name, &body))
}

async fn enroll(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Path(id): Path<RouterId>,
) -> Result<Html<String>> {
    let enrollment = service::issue_enrollment(&mut work, id).await?;
    let page = render_router(&mut work, lang, &auth, id, Some(&enrollment)).await?;
    work.commit().await?;
    Ok(page)
}

async fn revoke(mut work: Work, Path(id): Path<RouterId>) -> Result<Response> {
    service::revoke_router(&mut work, id).await?;
    work.commit().await?;
    Ok(Redirect::to(&format!("/routers/{id}")).into_response())
}

/// Server-sent events: a `router` event with fresh status cells whenever one of the scope's
/// routers changes (the fleet link reads the router once, for every open stream). The stream
/// ends (an `end` event) when the session signs out or times out.
async fn live(
    State(state): State<AppState>,
    lang: Lang,
    auth: Auth,
) -> Result<
    Sse<impl futures_util::Stream<Item = std::result::Result<Event, std::convert::Infallible>>>,
> {
    use tokio::sync::broadcast::error::RecvError;
    let scope = auth.scope()?;
    let events = state.fleet.events.subscribe();
    let mut check = tokio::time::interval(Duration::from_secs(
        state.config.http.stream_session_check_secs.max(1),
    ));
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let session_hash = auth.session_hash.clone();
    let stream = futures_util::stream::unfold(
        (events, check, state, scope, session_hash, false),
        move |(mut events, mut check, state, scope, session_hash, ended)| async move {
            if ended {
                return None;
            }
            loop {
                tokio::select! {
                    _ = check.tick() => {
                        if !session::still_live(&state, &session_hash).await.unwrap_or(false) {
                            let end = Event::default().event("end").data("signed out");
                            return Some((Ok(end), (events, check, state, scope, session_hash, true)));
                        }
                    }
                    event = events.recv() => match event {
                        Ok(FleetEvent::RouterUpdated(router)) if visible(&scope, &router) => {
                            let data = serde_json::json!({ "id": router.id, "cells": status_cells(lang, &router) });
                            let event = Event::default().event("router").data(data.to_string());
                            return Some((Ok(event), (events, check, state, scope, session_hash, false)));
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    },
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Whether a member working in `scope` may see `router`.
fn visible(scope: &Scope, router: &Router) -> bool {
    router.company_id == scope.company()
        && scope.branch().is_none_or(|b| router.branch_id == Some(b))
}

#[derive(Deserialize)]
struct CommandForm {
    action: String,
    #[serde(default)]
    user: String,
}

async fn command(
    mut work: Work,
    Path(id): Path<RouterId>,
    Input(form): Input<CommandForm>,
) -> Result<Response> {
    let request = match form.action.as_str() {
        "resync" => CommandRequest::Resync,
        "diagnostics" => CommandRequest::Diagnostics,
        "kick" => CommandRequest::Kick { user: form.user },
        _ => return Err(Error::field("action", "fleet.bad_command")),
    };
    service::issue_command(&mut work, id, request).await?;
    work.commit().await?;
    Ok(Redirect::to(&format!("/routers/{id}")).into_response())
}

const SESSION_ROWS: i64 = 100;

async fn sessions_page(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiQuery(params): ApiQuery<SessionParams>,
) -> Result<Response> {
    let page = PageQuery {
        limit: Some(SESSION_ROWS),
        ..params.page()
    };
    let (rows, error) = match params.query() {
        Ok(q) => (store::sessions(&mut work, &q, &page).await?, None),
        Err(Error::Validation(mut errors)) => (Default::default(), errors.pop()),
        Err(e) => return Err(e),
    };
    let table: String = rows
        .items
        .iter()
        .map(|s| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&s.username),
                escape(&s.address),
                escape(&s.caller_id),
                dhaka_time(s.started_at),
                s.ended_at
                    .map_or_else(|| tr!(lang, "sessions.online").to_owned(), dhaka_time),
                escape(&s.service),
            )
        })
        .collect();
    let input = |name: &str, key: &str, value: &str, hint: &str| {
        let error = error.as_ref().filter(|e| e.field == name);
        format!(
            "<label for=s-{name}>{}</label><input id=s-{name} name={name} value=\"{}\" placeholder=\"{hint}\" aria-invalid={}>{}",
            t(lang, key),
            escape(value),
            error.is_some(),
            error.map_or(String::new(), |e| format!("<span class=error>{}</span>", t(lang, e.code))),
        )
    };
    let query = format!(
        "username={}&address={}&at={}&subscriber_id={}",
        urlencode(&params.username),
        urlencode(&params.address),
        urlencode(&params.at),
        urlencode(&params.subscriber_id),
    );
    let older = match rows.next_before {
        Some(before) => format!(
            "<p><a href=\"/sessions?{}&before={before}\">{}</a></p>",
            escape(&query),
            tr!(lang, "audit.older")
        ),
        None => String::new(),
    };
    let body = format!(
        "<h1>{title}</h1><p class=hint>{hint}</p><form method=get action=/sessions class=filters>\
         {user}{address}{at}<button type=submit>{filter}</button></form>\
         <p><a id=sessions-export href=\"/sessions.csv?{query}\" download>{export}</a></p>\
         <table id=sessions><thead><tr><th>{user_h}</th><th>{address_h}</th><th>{caller}</th><th>{start}</th><th>{end}</th><th>{service}</th></tr></thead>\
         <tbody>{table}</tbody></table>{older}",
        title = tr!(lang, "sessions.title"),
        hint = tr!(lang, "sessions.hint"),
        user = input("username", "subscribers.pppoe_username", &params.username, ""),
        address = input("address", "sessions.address", &params.address, "10.20.0.15"),
        at = input("at", "sessions.at", &params.at, "2026-11-25 21:30"),
        filter = tr!(lang, "audit.filter"),
        query = escape(&query),
        export = tr!(lang, "audit.export"),
        user_h = tr!(lang, "subscribers.pppoe_username"),
        address_h = tr!(lang, "sessions.address"),
        caller = tr!(lang, "sessions.caller_id"),
        start = tr!(lang, "sessions.started"),
        end = tr!(lang, "sessions.ended"),
        service = tr!(lang, "sessions.service"),
    );
    let page = Page {
        lang,
        auth: &auth,
        path: "/sessions",
    }
    .render(tr!(lang, "sessions.title"), &body);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page).into_response())
}

async fn sessions_export(
    mut work: Work,
    ApiQuery(params): ApiQuery<SessionParams>,
) -> Result<Response> {
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
        "agent_started_dhaka",
        "agent_ended_dhaka",
    ]);
    let mut page = PageQuery {
        limit: Some(500),
        ..params.page()
    };
    let mut written = 0;
    while written < EXPORT_MAX_ROWS {
        let rows = store::sessions(&mut work, &q, &page).await?;
        for s in &rows.items {
            out.row(&[
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
                s.agent_started_at.map_or(String::new(), dhaka_time),
                s.agent_ended_at.map_or(String::new(), dhaka_time),
            ]);
        }
        written += rows.items.len();
        match rows.next_before {
            Some(before) => page.before = Some(before),
            None => break,
        }
    }
    Ok(out.download("setu-sessions.csv"))
}
