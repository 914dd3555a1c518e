//! API tokens page: the user's own tokens for the JSON API. A new token is shown once, right
//! after it is made; only its SHA-256 is kept.

use super::super::error::FieldError;
use super::super::session::{Origin, TOKEN_PREFIX};
use super::super::{
    audit_change, form_field, form_values, required_text, ApiResult, AppState, Auth, Change,
};
use super::{escape, field, lang, Page};
use crate::i18n::{dhaka_time, t, Lang};
use crate::rbac::Permission;
use crate::store::{api_tokens, now_ms, ApiTokenId};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

/// Lifetimes offered, in days.
const LIFETIMES: [i64; 4] = [7, 30, 90, 365];

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> ApiResult<Html<String>> {
    render(&state, lang(&headers), &auth, None, &[]).await
}

async fn render(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    new_token: Option<&str>,
    errors: &[FieldError],
) -> ApiResult<Html<String>> {
    let tenant = auth.tenant()?;
    let now = now_ms();
    let tokens = api_tokens::list_own(&state.store, &tenant, auth.user_id).await?;
    let rows: String = tokens
        .iter()
        .map(|tok| {
            let state_key = match (tok.revoked_at, tok.expires_at > now) {
                (Some(_), _) => "tokens.revoked",
                (None, false) => "tokens.expired",
                (None, true) => "tokens.live",
            };
            let revoke = if tok.is_live(now) {
                format!(
                    "<form method=post action=/tokens/{}/revoke><input type=hidden name=csrf value=\"{}\">\
                     <button type=submit>{}</button></form>",
                    tok.id,
                    auth.csrf_token,
                    t(lang, "tokens.revoke")
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{revoke}</td></tr>",
                escape(&tok.name),
                escape(&tok.permissions.join(" ")),
                dhaka_time(tok.expires_at),
                tok.last_used_at
                    .map_or_else(|| t(lang, "tokens.never").to_owned(), dhaka_time),
                t(lang, state_key),
            )
        })
        .collect();
    let shown_once = new_token.map_or(String::new(), |token| {
        format!(
            "<p class=notice role=status>{}</p><p><output id=new-token>{}</output></p>",
            t(lang, "tokens.shown_once"),
            escape(token)
        )
    });
    let checkboxes: String = Permission::ALL
        .iter()
        .filter(|p| auth.can(**p) && !p.is_platform_only())
        .map(|p| {
            format!(
                "<label><input type=checkbox name=permission value=\"{name}\"> {label}</label>",
                name = p.name(),
                label = t(lang, &format!("perm.{}", p.name())),
            )
        })
        .collect();
    let lifetimes: String = LIFETIMES
        .iter()
        .map(|d| format!("<option value={d}>{d} {}</option>", t(lang, "tokens.days")))
        .collect();
    let permission_error = errors
        .iter()
        .find(|e| e.field == "permissions")
        .map_or(String::new(), |e| {
            format!("<span class=error>{}</span>", t(lang, e.code))
        });
    let body = format!(
        "<h1>{title}</h1>{shown_once}<p class=hint>{hint}</p>\
         <table id=tokens><thead><tr><th>{name}</th><th>{perms}</th><th>{expires}</th><th>{used}</th><th>{status}</th><th></th></tr></thead><tbody>{rows}</tbody></table>\
         <h2>{create}</h2><form method=post action=/tokens class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
         {name_field}<label for=token-days>{expires}</label><select id=token-days name=days>{lifetimes}</select>\
         <fieldset><legend>{perms}</legend>{checkboxes}</fieldset>{permission_error}<button type=submit>{create}</button></form>",
        title = t(lang, "tokens.title"),
        hint = t(lang, "tokens.hint"),
        name = t(lang, "tokens.name"),
        perms = t(lang, "tokens.permissions"),
        expires = t(lang, "tokens.expires"),
        used = t(lang, "tokens.last_used"),
        status = t(lang, "tokens.state"),
        create = t(lang, "tokens.create"),
        csrf = auth.csrf_token,
        name_field = field(lang, "token-name", "name", "tokens.name", "text", "", errors),
    );
    Ok(Page {
        lang,
        auth,
        path: "/tokens",
    }
    .render(t(lang, "tokens.title"), &body))
}

/// Form fields: `name`, `days`, and `permission` once per ticked box.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    body: Bytes,
) -> ApiResult<Response> {
    let lang = lang(&headers);
    let tenant = auth.tenant()?;
    let mut errors = Vec::new();
    let name = required_text("name", &form_field(&body, "name").unwrap_or_default(), 100)
        .map_err(|e| errors.push(e))
        .ok();
    let days = form_field(&body, "days")
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|d| LIFETIMES.contains(d));
    if days.is_none() {
        errors.push(FieldError {
            field: "days",
            code: "tokens.bad_days",
        });
    }
    let mut permissions: Vec<&'static str> = Vec::new();
    for name in form_values(&body, "permission") {
        match Permission::from_name(&name).filter(|p| auth.can(*p) && !p.is_platform_only()) {
            Some(p) if !permissions.contains(&p.name()) => permissions.push(p.name()),
            Some(_) => {}
            None => errors.push(FieldError {
                field: "permissions",
                code: "roles.above_yours",
            }),
        }
    }
    if permissions.is_empty() {
        errors.push(FieldError {
            field: "permissions",
            code: "tokens.no_permissions",
        });
    }
    let (Some(name), Some(days), true) = (name, days, errors.is_empty()) else {
        let page = render(&state, lang, &auth, None, &errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let secret = format!("{TOKEN_PREFIX}{}", crate::random::token());
    let token = api_tokens::create(
        &state.store,
        &tenant,
        auth.user_id,
        &name,
        &crate::random::sha256_hex(&secret),
        &permissions,
        now_ms() + days * 86_400_000,
    )
    .await?;
    audit_change(
        &state,
        &auth,
        &origin,
        Change::new(
            "api_token.create",
            "api_token",
            token.id,
            serde_json::Value::Null,
            &token,
        ),
    )
    .await?;
    Ok(render(&state, lang, &auth, Some(&secret), &[])
        .await?
        .into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let token =
        api_tokens::revoke(&state.store, &auth.tenant()?, auth.user_id, ApiTokenId(id)).await?;
    audit_change(
        &state,
        &auth,
        &origin,
        Change::new(
            "api_token.revoke",
            "api_token",
            id,
            serde_json::Value::Null,
            &token,
        ),
    )
    .await?;
    Ok(Redirect::to("/tokens").into_response())
}
