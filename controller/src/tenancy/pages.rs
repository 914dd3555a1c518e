//! The dashboard, the branches page, the companies page (platform admin) and the settings page.

use super::service::{self, NameInput};
use super::store::{self, Profile};
use super::{BRANCHES_MANAGE, BRANCHES_VIEW, COMPANIES_MANAGE, DASHBOARD_VIEW, SETTINGS_MANAGE};
use crate::kernel::date::dhaka_time;
use crate::kernel::error::FieldError;
use crate::kernel::http::extract::Input;
use crate::kernel::http::list::PageQuery;
use crate::kernel::http::page::{escape, field, Page};
use crate::kernel::http::{Access, Auth, Routes};
use crate::kernel::i18n::{group_lakh, role_name, Lang};
use crate::kernel::work::{Origin, Work};
use crate::kernel::{Error, Result};
use crate::{tr, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub fn routes(r: Routes) -> Routes {
    use Access::Needs;
    r.add("GET", "/", Needs(DASHBOARD_VIEW), get(dashboard))
        .add("GET", "/branches", Needs(BRANCHES_VIEW), get(branches))
        .add(
            "POST",
            "/branches",
            Needs(BRANCHES_MANAGE),
            post(create_branch),
        )
        .add("GET", "/companies", Needs(COMPANIES_MANAGE), get(companies))
        .add(
            "POST",
            "/companies",
            Needs(COMPANIES_MANAGE),
            post(create_company),
        )
        .add("GET", "/settings", Needs(SETTINGS_MANAGE), get(settings))
        .add(
            "POST",
            "/settings",
            Needs(SETTINGS_MANAGE),
            post(save_settings),
        )
}

/// A page answered with 422: the form again, with its errors.
fn invalid(page: Html<String>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

async fn dashboard(State(state): State<AppState>, lang: Lang, auth: Auth) -> Result<Html<String>> {
    let (company, branch_count) = match auth.scope {
        Some(scope) => {
            let mut work = Work::read(&state, scope, auth.actor(), auth.held()).await?;
            (
                store::own(&mut work).await?.name,
                store::count_branches(&mut work).await?,
            )
        }
        None => ("-".to_owned(), 0),
    };
    let body = format!(
        "<h1>{welcome}, {name}</h1><table><tr><th>{company_label}</th><td id=company>{company}</td></tr>\
         <tr><th>{role_label}</th><td>{role}</td></tr>\
         <tr><th>{branches_label}</th><td id=branch-count>{branches}</td></tr></table>",
        welcome = tr!(lang, "dashboard.welcome"),
        name = escape(&auth.display_name),
        company_label = tr!(lang, "dashboard.company"),
        company = escape(&company),
        role_label = tr!(lang, "dashboard.role"),
        role = escape(&match (&auth.role, auth.is_platform_admin) {
            (Some(role), _) => role_name(lang, role),
            (None, true) => "platform admin".to_owned(),
            (None, false) => "-".to_owned(),
        }),
        branches_label = tr!(lang, "dashboard.branches"),
        branches = group_lakh(branch_count.max(0) as u64, lang),
    );
    Ok(Page {
        lang,
        auth: &auth,
        path: "/",
    }
    .render(tr!(lang, "dashboard.title"), &body))
}

async fn branches(mut work: Work, lang: Lang, auth: Auth) -> Result<Html<String>> {
    render_branches(&mut work, lang, &auth, "", &[]).await
}

async fn render_branches(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    name: &str,
    errors: &[FieldError],
) -> Result<Html<String>> {
    let rows = store::branches(work, &PageQuery::first(500)).await?.items;
    let table = if rows.is_empty() {
        format!("<p>{}</p>", tr!(lang, "branches.none"))
    } else {
        let rows: String = rows
            .iter()
            .map(|b| {
                format!(
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape(&b.name),
                    dhaka_time(b.created_at)
                )
            })
            .collect();
        format!(
            "<table id=branches><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
            tr!(lang, "branches.name"),
            tr!(lang, "branches.created_at")
        )
    };
    let form = if auth.can(BRANCHES_MANAGE) {
        format!(
            "<form method=post action=/branches class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             {name}<button type=submit>{submit}</button></form>",
            csrf = auth.csrf_token,
            name = field(lang, "name", "name", "branches.name", "text", name, errors),
            submit = tr!(lang, "branches.create"),
        )
    } else {
        String::new()
    };
    let body = format!("<h1>{}</h1>{form}{table}", tr!(lang, "branches.title"));
    Ok(Page {
        lang,
        auth,
        path: "/branches",
    }
    .render(tr!(lang, "branches.title"), &body))
}

async fn create_branch(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<NameInput>,
) -> Result<Response> {
    match service::create_branch(&mut work, &input).await {
        Ok(_) => {
            work.commit().await?;
            Ok(Redirect::to("/branches").into_response())
        }
        Err(e) if !e.fields().is_empty() => {
            let mut work = work.rolled_back().await?;
            let page = render_branches(&mut work, lang, &auth, &input.name, e.fields()).await?;
            Ok(invalid(page))
        }
        Err(e) => Err(e),
    }
}

async fn companies(State(state): State<AppState>, lang: Lang, auth: Auth) -> Result<Html<String>> {
    render_companies(&state, lang, &auth, "", &[]).await
}

async fn render_companies(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    name: &str,
    errors: &[FieldError],
) -> Result<Html<String>> {
    let current = auth.scope.map(|s| s.company());
    let mut db = state.store.conn().await?;
    let rows: String = store::companies(&mut db, &PageQuery::first(500))
        .await?
        .items
        .iter()
        .map(|c| {
            let action = if current == Some(c.id) {
                format!("<b>{}</b>", tr!(lang, "account.current"))
            } else {
                crate::staff::pages::switch_form(lang, &auth.csrf_token, c.id)
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{action}</td></tr>",
                escape(&c.name),
                dhaka_time(c.created_at)
            )
        })
        .collect();
    let body = format!(
        "<h1>{title}</h1><table id=companies><thead><tr><th>{name_label}</th><th>{created}</th><th></th></tr></thead><tbody>{rows}</tbody></table>\
         <h2>{create}</h2><form method=post action=/companies class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
         {name_field}<button type=submit>{create}</button></form>",
        title = tr!(lang, "companies.title"),
        name_label = tr!(lang, "companies.name"),
        created = tr!(lang, "branches.created_at"),
        create = tr!(lang, "companies.create"),
        csrf = auth.csrf_token,
        name_field = field(lang, "company-name", "name", "companies.name", "text", name, errors),
    );
    Ok(Page {
        lang,
        auth,
        path: "/companies",
    }
    .render(tr!(lang, "companies.title"), &body))
}

async fn create_company(
    State(state): State<AppState>,
    lang: Lang,
    auth: Auth,
    origin: Origin,
    Input(input): Input<NameInput>,
) -> Result<Response> {
    match service::create_company(&state.store, auth.actor(), origin, &input).await {
        Ok(_) => Ok(Redirect::to("/companies").into_response()),
        Err(e) if !e.fields().is_empty() => Ok(invalid(
            render_companies(&state, lang, &auth, &input.name, e.fields()).await?,
        )),
        Err(e) => Err(e),
    }
}

async fn settings(mut work: Work, lang: Lang, auth: Auth) -> Result<Html<String>> {
    let company = store::own(&mut work).await?;
    Ok(render_settings(
        lang,
        &auth,
        &company.name,
        &company.profile,
        &[],
    ))
}

fn render_settings(
    lang: Lang,
    auth: &Auth,
    company: &str,
    profile: &Profile,
    errors: &[FieldError],
) -> Html<String> {
    let body =
        format!(
        "<h1>{title}</h1><p>{company}</p><form method=post action=/settings class=card novalidate>\
         <input type=hidden name=csrf value=\"{csrf}\">{legal}{phone}{address}{licence}{bin}\
         <button type=submit>{save}</button></form>",
        title = tr!(lang, "settings.title"),
        company = escape(company),
        csrf = auth.csrf_token,
        legal = field(
            lang,
            "legal-name",
            "legal_name",
            "settings.legal_name",
            "text",
            &profile.legal_name,
            errors
        ),
        phone = field(
            lang,
            "phone",
            "phone",
            "settings.phone",
            "tel",
            &profile.phone,
            errors
        ),
        address = field(
            lang,
            "address",
            "address",
            "settings.address",
            "text",
            &profile.address,
            errors
        ),
        licence = field(
            lang,
            "licence-no",
            "licence_no",
            "settings.licence_no",
            "text",
            &profile.licence_no,
            errors
        ),
        bin = field(lang, "bin", "bin", "settings.bin", "text", &profile.bin, errors),
        save = tr!(lang, "settings.save"),
    );
    Page {
        lang,
        auth,
        path: "/settings",
    }
    .render(tr!(lang, "settings.title"), &body)
}

async fn save_settings(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<Profile>,
) -> Result<Response> {
    match service::save_profile(&mut work, &input).await {
        Ok(_) => {
            work.commit().await?;
            Ok(Redirect::to("/settings").into_response())
        }
        Err(Error::Validation(errors)) => {
            let mut work = work.rolled_back().await?;
            let company = store::own(&mut work).await?;
            Ok(invalid(render_settings(
                lang,
                &auth,
                &company.name,
                &input,
                &errors,
            )))
        }
        Err(e) => Err(e),
    }
}
