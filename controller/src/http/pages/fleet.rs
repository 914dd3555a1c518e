//! Fleet pages: POPs and routers with their agents' live status (updated in place from
//! `/fleet/live`, server-sent events), and one router's page with enrollment, revocation,
//! desired vs applied version and drift.

use super::super::api::pops::{create_pop, NewPop};
use super::super::api::routers::{create_router, issue_enrollment, revoke_router, NewRouter};
use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::{ApiError, ApiResult, AppState, Auth};
use super::{escape, field, lang, Page};
use crate::i18n::{dhaka_time, group_lakh, t, Lang};
use crate::rbac::Permission;
use crate::store::{pops, routers, RouterId};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

/// One router's status cells; the live script swaps the row's cells for these.
pub fn status_cells(lang: Lang, r: &routers::Router) -> String {
    let state = if r.revoked_at.is_some() {
        format!("<span class=error>{}</span>", t(lang, "fleet.revoked"))
    } else if r.agent_public_key.is_none() {
        t(lang, "fleet.not_enrolled").to_owned()
    } else if r.status.online {
        format!("<b class=notice>{}</b>", t(lang, "fleet.online"))
    } else {
        format!("<span class=error>{}</span>", t(lang, "fleet.offline"))
    };
    let sync = if r.applied_version >= r.desired_version {
        format!("<span class=notice>{}</span>", t(lang, "fleet.in_sync"))
    } else {
        format!(
            "{} {} / {}",
            t(lang, "fleet.pending"),
            r.applied_version,
            r.desired_version
        )
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
row.insertAdjacentHTML('beforeend',d.cells);}});})();</script>";

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> ApiResult<Html<String>> {
    render(&state, lang(&headers), &auth, &[]).await
}

async fn render(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    errors: &[FieldError],
) -> ApiResult<Html<String>> {
    let tenant = auth.tenant()?;
    let pops = pops::list(&state.store, &tenant).await?;
    let routers = routers::list(&state.store, &tenant).await?;
    let rows: String = routers
        .iter()
        .map(|r| {
            let pop = pops
                .iter()
                .find(|p| p.id == r.pop_id)
                .map_or("-", |p| p.name.as_str());
            format!(
                "<tr data-router={id}><td><a href=/routers/{id}>{name}</a></td><td>{pop}</td>{cells}</tr>",
                id = r.id,
                name = escape(&r.name),
                pop = escape(pop),
                cells = status_cells(lang, r),
            )
        })
        .collect();
    let forms = if auth.can(Permission::RoutersManage) {
        let pop_options: String = pops
            .iter()
            .map(|p| format!("<option value={}>{}</option>", p.id, escape(&p.name)))
            .collect();
        let pop_error = errors
            .iter()
            .find(|e| e.field == "pop_id")
            .map_or(String::new(), |e| {
                format!("<span class=error>{}</span>", t(lang, e.code))
            });
        format!(
            "<h2>{add_pop}</h2><form method=post action=/pops class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             {pop_name}<button type=submit>{add_pop}</button></form>\
             <h2>{add_router}</h2><form method=post action=/routers class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             <label for=router-pop>{pop_label}</label><select id=router-pop name=pop_id>{pop_options}</select>{pop_error}\
             {router_name}<button type=submit>{add_router}</button></form>",
            add_pop = t(lang, "fleet.add_pop"),
            add_router = t(lang, "fleet.add_router"),
            csrf = auth.csrf_token,
            pop_label = t(lang, "fleet.pop"),
            pop_name = field(lang, "pop-name", "pop_name", "fleet.pop_name", "text", "", errors),
            router_name = field(lang, "router-name", "name", "fleet.router_name", "text", "", errors),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1><table id=routers><thead><tr><th>{router}</th><th>{pop}</th><th>{state_h}</th><th>{seen}</th>\
         <th>RouterOS</th><th>CPU</th><th>{memory}</th><th>{sessions}</th><th>{sync}</th></tr></thead><tbody>{rows}</tbody></table>\
         {forms}{LIVE_SCRIPT}",
        title = t(lang, "fleet.title"),
        router = t(lang, "fleet.router"),
        pop = t(lang, "fleet.pop"),
        state_h = t(lang, "fleet.state"),
        seen = t(lang, "fleet.last_seen"),
        memory = t(lang, "fleet.memory"),
        sessions = t(lang, "fleet.sessions"),
        sync = t(lang, "fleet.sync"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/fleet",
    }
    .render(t(lang, "fleet.title"), &body))
}

async fn invalid(
    state: &AppState,
    headers: &HeaderMap,
    auth: &Auth,
    e: ApiError,
) -> ApiResult<Response> {
    match e {
        ApiError::Validation(errors) => {
            let page = render(state, lang(headers), auth, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        e => Err(e),
    }
}

#[derive(Deserialize)]
pub struct PopForm {
    pop_name: String,
}

pub async fn add_pop(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Form(form): Form<PopForm>,
) -> ApiResult<Response> {
    let new = NewPop {
        name: form.pop_name,
        branch_id: None,
    };
    match create_pop(&state, &auth, &origin, &new).await {
        Ok(_) => Ok(Redirect::to("/fleet").into_response()),
        Err(ApiError::Validation(mut errors)) => {
            // The POP form's name field is `pop_name` on this page.
            for e in &mut errors {
                if e.field == "name" {
                    e.field = "pop_name";
                }
            }
            invalid(&state, &headers, &auth, ApiError::Validation(errors)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct RouterForm {
    #[serde(default)]
    pop_id: String,
    name: String,
}

pub async fn add_router(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Form(form): Form<RouterForm>,
) -> ApiResult<Response> {
    let new = NewRouter {
        pop_id: form.pop_id.trim().parse().unwrap_or(-1),
        name: form.name,
    };
    match create_router(&state, &auth, &origin, &new).await {
        Ok(router) => Ok(Redirect::to(&format!("/routers/{}", router.id)).into_response()),
        Err(e) => invalid(&state, &headers, &auth, e).await,
    }
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Html<String>> {
    render_router(&state, lang(&headers), &auth, RouterId(id), None).await
}

async fn render_router(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    id: RouterId,
    enrollment: Option<&super::super::api::routers::Enrollment>,
) -> ApiResult<Html<String>> {
    let router = routers::get(&state.store, &auth.tenant()?, id).await?;
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
            hint = t(lang, "fleet.enrollment_once"),
            command = escape(&e.command),
            until = t(lang, "fleet.valid_until"),
            expires = dhaka_time(e.expires_at),
        )
    });
    let commands: String = crate::store::fleet::commands(&state.store, &auth.tenant()?, id, 20)
        .await?
        .iter()
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
    let actions = if auth.can(Permission::RoutersManage) {
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
            commands_title = t(lang, "fleet.commands"),
            action_label = t(lang, "fleet.command"),
            resync = t(lang, "fleet.cmd_resync"),
            kick = t(lang, "fleet.cmd_kick"),
            diagnostics = t(lang, "fleet.cmd_diagnostics"),
            user_label = t(lang, "fleet.kick_user"),
            send = t(lang, "fleet.send"),
            enroll = t(lang, "fleet.enroll"),
            revoke = t(lang, "fleet.revoke"),
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
        interfaces_title = t(lang, "fleet.interfaces"),
        router_label = t(lang, "fleet.interface"),
        name = escape(&router.name),
        id = router.id,
        agent_label = t(lang, "fleet.agent"),
        agent = escape(&router.agent_id),
        desired_label = t(lang, "fleet.desired_version"),
        desired = router.desired_version,
        applied_label = t(lang, "fleet.applied_version"),
        applied = router.applied_version,
        identity_label = t(lang, "fleet.identity"),
        identity = escape(&router.status.identity),
        drift_label = t(lang, "fleet.drift"),
        cells = status_cells(lang, &router),
    );
    Ok(Page {
        lang,
        auth,
        path: "/fleet",
    }
    .render(&router.name, &body))
}

pub async fn enroll(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
) -> ApiResult<Html<String>> {
    let enrollment = issue_enrollment(&state, &auth, &origin, RouterId(id)).await?;
    render_router(
        &state,
        lang(&headers),
        &auth,
        RouterId(id),
        Some(&enrollment),
    )
    .await
}

pub async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    revoke_router(&state, &auth, &origin, RouterId(id)).await?;
    Ok(Redirect::to(&format!("/routers/{id}")).into_response())
}

/// Server-sent events: a `router` event with fresh status cells whenever one of the tenant's
/// routers changes. Other companies' routers are filtered out by the tenant-scoped lookup.
pub async fn live(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> ApiResult<
    axum::response::sse::Sse<
        impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
> {
    use crate::fleet::FleetEvent;
    use tokio::sync::broadcast::error::RecvError;
    let tenant = auth.tenant()?;
    let lang = lang(&headers);
    let events = state.fleet_events.subscribe();
    let stream = futures_util::stream::unfold(
        (events, state, tenant),
        move |(mut events, state, tenant)| async move {
            loop {
                let id = match events.recv().await {
                    Ok(FleetEvent::RouterUpdated(id) | FleetEvent::DesiredChanged(id)) => id,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                };
                if let Ok(router) = routers::get(&state.store, &tenant, id).await {
                    let data =
                        serde_json::json!({ "id": id, "cells": status_cells(lang, &router) });
                    let event = axum::response::sse::Event::default()
                        .event("router")
                        .data(data.to_string());
                    return Some((Ok(event), (events, state, tenant)));
                }
            }
        },
    );
    Ok(axum::response::sse::Sse::new(stream).keep_alive(axum::response::sse::KeepAlive::default()))
}

#[derive(Deserialize)]
pub struct CommandForm {
    action: String,
    #[serde(default)]
    user: String,
}

pub async fn command(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
    Form(form): Form<CommandForm>,
) -> ApiResult<Response> {
    use super::super::api::routers::{issue_command, CommandRequest};
    let request = match form.action.as_str() {
        "resync" => CommandRequest::Resync,
        "diagnostics" => CommandRequest::Diagnostics,
        "kick" => CommandRequest::Kick { user: form.user },
        _ => return Err(ApiError::field("action", "fleet.bad_command")),
    };
    issue_command(&state, &auth, &origin, RouterId(id), request).await?;
    Ok(Redirect::to(&format!("/routers/{id}")).into_response())
}
