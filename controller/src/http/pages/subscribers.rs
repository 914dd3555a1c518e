//! Subscribers page: the list (by router, 100 at a time), the add form, and suspend/reconnect
//! buttons, each of which reaches the router through the fleet link within seconds.

use super::super::api::subscribers::{change_status, create_subscriber, SubscriberBody};
use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::{ApiError, ApiResult, AppState, Auth};
use super::{escape, field, lang, Page};
use crate::i18n::{t, Lang};
use crate::rbac::Permission;
use crate::store::subscribers::{self, Status};
use crate::store::{plans, routers, RouterId, SubscriberId};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

const PAGE_ROWS: i64 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    router_id: Option<i64>,
    after: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> ApiResult<Html<String>> {
    render(
        &state,
        lang(&headers),
        &auth,
        &q,
        &SubscriberForm::default(),
        &[],
    )
    .await
}

/// The add form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct SubscriberForm {
    name: String,
    phone: String,
    #[serde(default)]
    router_id: String,
    #[serde(default)]
    plan_id: String,
    pppoe_username: String,
    pppoe_password: String,
}

fn status_label(lang: Lang, status: Status) -> &'static str {
    t(
        lang,
        match status {
            Status::Active => "subscribers.active",
            Status::Suspended => "subscribers.suspended",
            Status::Terminated => "subscribers.terminated",
        },
    )
}

async fn render(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    q: &ListQuery,
    form: &SubscriberForm,
    errors: &[FieldError],
) -> ApiResult<Html<String>> {
    let tenant = auth.tenant()?;
    let routers = routers::list(&state.store, &tenant).await?;
    let plans = plans::list(&state.store, &tenant).await?;
    let items = subscribers::list(
        &state.store,
        &tenant,
        q.router_id.map(RouterId),
        q.after.map(SubscriberId),
        PAGE_ROWS,
    )
    .await?;
    let can_manage = auth.can(Permission::SubscribersManage);
    let rows: String = items
        .iter()
        .map(|s| {
            let router = routers.iter().find(|r| r.id == s.router_id).map_or("-", |r| r.name.as_str());
            let plan = plans.iter().find(|p| p.id == s.plan_id).map_or("-", |p| p.fields.name.as_str());
            let action = match (can_manage, s.status) {
                (true, Status::Active) => status_button(lang, &auth.csrf_token, s.id, Status::Suspended, "subscribers.suspend"),
                (true, Status::Suspended) => status_button(lang, &auth.csrf_token, s.id, Status::Active, "subscribers.reconnect"),
                _ => String::new(),
            };
            format!(
                "<tr data-subscriber={id}><td>{name}</td><td>{user}</td><td>{phone}</td><td>{plan}</td><td>{router}</td><td data-col=status>{status}</td><td>{action}</td></tr>",
                id = s.id,
                name = escape(&s.name),
                user = escape(&s.pppoe_username),
                phone = escape(&s.phone),
                plan = escape(plan),
                router = escape(router),
                status = status_label(lang, s.status),
            )
        })
        .collect();
    let more = match items.last() {
        Some(last) if items.len() as i64 == PAGE_ROWS => format!(
            "<p><a href=\"/subscribers?after={}{}\">{}</a></p>",
            last.id,
            q.router_id
                .map_or(String::new(), |r| format!("&router_id={r}")),
            t(lang, "subscribers.more")
        ),
        _ => String::new(),
    };
    let form_html = if can_manage {
        let select = |name: &str, label: &str, chosen: &str, options: Vec<(i64, String)>| {
            let error = errors
                .iter()
                .find(|e| e.field == name)
                .map_or(String::new(), |e| {
                    format!("<span class=error>{}</span>", t(lang, e.code))
                });
            let options: String = options
                .iter()
                .map(|(id, text)| {
                    let selected = if chosen == id.to_string() {
                        " selected"
                    } else {
                        ""
                    };
                    format!("<option value={id}{selected}>{}</option>", escape(text))
                })
                .collect();
            format!(
                "<label for=new-{name}>{}</label><select id=new-{name} name={name}>{options}</select>{error}",
                t(lang, label)
            )
        };
        format!(
            "<h2>{add}</h2><form method=post action=/subscribers class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             {name}{phone}{router}{plan}{user}{password}<button type=submit>{add}</button></form>",
            add = t(lang, "subscribers.create"),
            csrf = auth.csrf_token,
            name = field(lang, "sub-name", "name", "users.name", "text", &form.name, errors),
            phone = field(lang, "sub-phone", "phone", "settings.phone", "tel", &form.phone, errors),
            router = select("router_id", "fleet.router", &form.router_id, routers.iter().map(|r| (r.id.0, r.name.clone())).collect()),
            plan = select("plan_id", "subscribers.plan", &form.plan_id, plans.iter().map(|p| (p.id.0, p.fields.name.clone())).collect()),
            user = field(lang, "sub-user", "pppoe_username", "subscribers.pppoe_username", "text", &form.pppoe_username, errors),
            password = field(lang, "sub-password", "pppoe_password", "subscribers.pppoe_password", "text", "", errors),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1><table id=subscribers><thead><tr><th>{name}</th><th>{user}</th><th>{phone}</th><th>{plan}</th><th>{router}</th><th>{status}</th><th></th></tr></thead>\
         <tbody>{rows}</tbody></table>{more}{form_html}",
        title = t(lang, "subscribers.title"),
        name = t(lang, "users.name"),
        user = t(lang, "subscribers.pppoe_username"),
        phone = t(lang, "settings.phone"),
        plan = t(lang, "subscribers.plan"),
        router = t(lang, "fleet.router"),
        status = t(lang, "fleet.state"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/subscribers",
    }
    .render(t(lang, "subscribers.title"), &body))
}

fn status_button(lang: Lang, csrf: &str, id: SubscriberId, to: Status, label: &str) -> String {
    format!(
        "<form method=post action=/subscribers/{id}/status><input type=hidden name=csrf value=\"{csrf}\">\
         <input type=hidden name=status value={}><button type=submit>{}</button></form>",
        to.as_str(),
        t(lang, label)
    )
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Form(form): Form<SubscriberForm>,
) -> ApiResult<Response> {
    let body = SubscriberBody {
        name: form.name.clone(),
        phone: form.phone.clone(),
        router_id: form.router_id.trim().parse().unwrap_or(-1),
        plan_id: form.plan_id.trim().parse().unwrap_or(-1),
        pppoe_username: form.pppoe_username.clone(),
        pppoe_password: form.pppoe_password.clone(),
        status: "active".into(),
        branch_id: None,
    };
    match create_subscriber(&state, &auth, &origin, &body).await {
        Ok(_) => Ok(Redirect::to("/subscribers").into_response()),
        Err(ApiError::Validation(errors)) => {
            let page = render(
                &state,
                lang(&headers),
                &auth,
                &ListQuery::default(),
                &form,
                &errors,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

/// Suspend or reconnect from the list.
pub async fn set_status(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> ApiResult<Response> {
    change_status(&state, &auth, &origin, SubscriberId(id), &form.status).await?;
    Ok(Redirect::to("/subscribers").into_response())
}
