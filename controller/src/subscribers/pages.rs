//! The subscribers page: the list (by router, 100 at a time), the add form, and suspend and
//! reconnect buttons, each of which reaches the router through the fleet link within seconds.

use super::api::StatusInput;
use super::service::{self, SubscriberInput};
use super::store::{self, Status};
use super::{MANAGE, VIEW};
use crate::kernel::error::FieldError;
use crate::kernel::http::extract::{ApiQuery, Input};
use crate::kernel::http::list::PageQuery;
use crate::kernel::http::page::{escape, field, select, Page};
use crate::kernel::http::{Access, Auth, Routes};
use crate::kernel::i18n::Lang;
use crate::kernel::ids::{RouterId, SubscriberId};
use crate::kernel::work::Work;
use crate::kernel::Result;
use crate::tr;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

const PAGE_ROWS: i64 = 100;

pub fn routes(r: Routes) -> Routes {
    use Access::Needs;
    r.add("GET", "/subscribers", Needs(VIEW), get(list))
        .add("POST", "/subscribers", Needs(MANAGE), post(create))
        .add("GET", "/subscribers/{id}", Needs(VIEW), get(show))
        .add(
            "POST",
            "/subscribers/{id}/status",
            Needs(MANAGE),
            post(set_status),
        )
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    router_id: Option<i64>,
    after: Option<i64>,
}

async fn list(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Html<String>> {
    render(&mut work, lang, &auth, &q, &SubscriberInput::default(), &[]).await
}

fn status_label(lang: Lang, status: Status) -> &'static str {
    match status {
        Status::Active => tr!(lang, "subscribers.active"),
        Status::Suspended => tr!(lang, "subscribers.suspended"),
        Status::Terminated => tr!(lang, "subscribers.terminated"),
    }
}

async fn render(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    q: &ListQuery,
    form: &SubscriberInput,
    errors: &[FieldError],
) -> Result<Html<String>> {
    let company = work.scope().company();
    let routers = crate::fleet::store::routers(work, &PageQuery::first(500))
        .await?
        .items;
    let plans = crate::plans::store::all(work.db(), company).await?;
    let page = PageQuery {
        after: q.after,
        limit: Some(PAGE_ROWS),
        ..PageQuery::default()
    };
    let items = store::list(work, q.router_id.map(RouterId), &page).await?;
    let can_manage = auth.can(MANAGE);
    let rows: String = items
        .items
        .iter()
        .map(|s| {
            let f = &s.fields;
            let router = routers.iter().find(|r| r.id == f.router_id).map_or("-", |r| r.name.as_str());
            let plan = plans.iter().find(|p| p.id == f.plan_id).map_or("-", |p| p.fields.name.as_str());
            let action = match (can_manage, f.status) {
                (true, Status::Active) => status_button(lang, &auth.csrf_token, s.id, Status::Suspended),
                (true, Status::Suspended) => status_button(lang, &auth.csrf_token, s.id, Status::Active),
                _ => String::new(),
            };
            format!(
                "<tr data-subscriber={id}><td><a href=/subscribers/{id}>{name}</a></td><td>{user}</td><td>{phone}</td><td>{plan}</td><td>{router}</td><td data-col=status>{status}</td><td>{action}</td></tr>",
                id = s.id,
                name = escape(&f.name),
                user = escape(&f.pppoe_username),
                phone = escape(&f.phone),
                plan = escape(plan),
                router = escape(router),
                status = status_label(lang, f.status),
            )
        })
        .collect();
    let more = match items.next_after {
        Some(after) => format!(
            "<p><a href=\"/subscribers?after={after}{}\">{}</a></p>",
            q.router_id
                .map_or(String::new(), |r| format!("&router_id={r}")),
            tr!(lang, "subscribers.more")
        ),
        None => String::new(),
    };
    let form_html = if can_manage {
        let router_options: Vec<(String, String)> = routers
            .iter()
            .map(|r| (r.id.to_string(), r.name.clone()))
            .collect();
        let plan_options: Vec<(String, String)> = plans
            .iter()
            .map(|p| (p.id.to_string(), p.fields.name.clone()))
            .collect();
        let chosen = |id: Option<i64>| id.map_or(String::new(), |id| id.to_string());
        format!(
            "<h2>{add}</h2><form method=post action=/subscribers class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             {name}{phone}{router}{plan}{user}{password}{starts}<button type=submit>{add}</button></form>",
            add = tr!(lang, "subscribers.create"),
            csrf = auth.csrf_token,
            name = field(lang, "sub-name", "name", "users.name", "text", &form.name, errors),
            phone = field(lang, "sub-phone", "phone", "settings.phone", "tel", &form.phone, errors),
            router = select(lang, "new-router_id", "router_id", "fleet.router", &chosen(form.router_id.map(|r| r.0)), &router_options, errors),
            plan = select(lang, "new-plan_id", "plan_id", "subscribers.plan", &chosen(form.plan_id.map(|p| p.0)), &plan_options, errors),
            user = field(lang, "sub-user", "pppoe_username", "subscribers.pppoe_username", "text", &form.pppoe_username, errors),
            password = field(lang, "sub-password", "pppoe_password", "subscribers.pppoe_password", "text", "", errors),
            starts = field(lang, "sub-starts", "starts_on", "subscriptions.starts_on", "date", &form.starts_on, errors),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1><table id=subscribers><thead><tr><th>{name}</th><th>{user}</th><th>{phone}</th><th>{plan}</th><th>{router}</th><th>{status}</th><th></th></tr></thead>\
         <tbody>{rows}</tbody></table>{more}{form_html}",
        title = tr!(lang, "subscribers.title"),
        name = tr!(lang, "users.name"),
        user = tr!(lang, "subscribers.pppoe_username"),
        phone = tr!(lang, "settings.phone"),
        plan = tr!(lang, "subscribers.plan"),
        router = tr!(lang, "fleet.router"),
        status = tr!(lang, "fleet.state"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/subscribers",
    }
    .render(tr!(lang, "subscribers.title"), &body))
}

fn status_button(lang: Lang, csrf: &str, id: SubscriberId, to: Status) -> String {
    let label = match to {
        Status::Suspended => tr!(lang, "subscribers.suspend"),
        _ => tr!(lang, "subscribers.reconnect"),
    };
    format!(
        "<form method=post action=/subscribers/{id}/status><input type=hidden name=csrf value=\"{csrf}\">\
         <input type=hidden name=status value={}><button type=submit>{label}</button></form>",
        to.as_str(),
    )
}

async fn create(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<SubscriberInput>,
) -> Result<Response> {
    match service::create(&mut work, &input).await {
        Ok(_) => {
            work.commit().await?;
            Ok(Redirect::to("/subscribers").into_response())
        }
        Err(e) if !e.fields().is_empty() => {
            let mut work = work.rolled_back().await?;
            let page = render(
                &mut work,
                lang,
                &auth,
                &ListQuery::default(),
                &input,
                e.fields(),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Suspend or reconnect from the list.
async fn set_status(
    mut work: Work,
    axum::extract::Path(id): axum::extract::Path<SubscriberId>,
    Input(input): Input<StatusInput>,
) -> Result<Response> {
    service::change_status(&mut work, id, input.status()?).await?;
    work.commit().await?;
    Ok(Redirect::to("/subscribers").into_response())
}

async fn show(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    axum::extract::Path(id): axum::extract::Path<SubscriberId>,
) -> Result<Html<String>> {
    detail(&mut work, lang, &auth, id, &[]).await
}

/// After a form on the subscriber page (a subscription change, a charge): back to the
/// subscriber, or their page with the form's errors.
pub async fn after_form(
    result: Result<()>,
    work: Work,
    lang: Lang,
    auth: Auth,
    subscriber: SubscriberId,
) -> Result<Response> {
    match result {
        Ok(()) => {
            work.commit().await?;
            Ok(Redirect::to(&format!("/subscribers/{subscriber}")).into_response())
        }
        Err(e) if !e.fields().is_empty() => {
            let errors = e.fields().to_vec();
            let mut work = work.rolled_back().await?;
            let page = detail(&mut work, lang, &auth, subscriber, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// One subscriber: who, where, their subscriptions, and their money (documents, statement);
/// `errors` are a refused form's.
pub async fn detail(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    id: SubscriberId,
    errors: &[FieldError],
) -> Result<Html<String>> {
    let s = store::get(work, id).await?;
    let f = &s.fields;
    let router = crate::fleet::store::router(work, f.router_id).await?;
    let subscriptions = crate::subscriptions::pages::section(work, lang, auth, id, errors).await?;
    let money = if auth.can(crate::billing::VIEW) {
        crate::billing::pages::subscriber_section(work, lang, auth, id).await?
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{name}</h1><dl class=card id=subscriber><dt>{user_label}</dt><dd>{user}</dd><dt>{phone_label}</dt><dd>{phone}</dd>\
         <dt>{router_label}</dt><dd>{router}</dd><dt>{status_label}</dt><dd data-col=status>{status}</dd></dl>{subscriptions}{money}",
        name = escape(&f.name),
        user_label = tr!(lang, "subscribers.pppoe_username"),
        user = escape(&f.pppoe_username),
        phone_label = tr!(lang, "settings.phone"),
        phone = escape(&f.phone),
        router_label = tr!(lang, "fleet.router"),
        router = escape(&router.name),
        status_label = tr!(lang, "fleet.state"),
        status = status_label(lang, f.status),
    );
    Ok(Page {
        lang,
        auth,
        path: "/subscribers",
    }
    .render(&f.name, &body))
}
