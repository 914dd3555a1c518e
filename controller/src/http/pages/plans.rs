//! Plans page: speeds and prices (৳), and the add form.

use super::super::api::plans::create_plan;
use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::{ApiError, ApiResult, AppState, Auth};
use super::{escape, field, lang, Page};
use crate::i18n::{t, taka, Lang};
use crate::rbac::Permission;
use crate::store::plans::{self, PlanFields};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> ApiResult<Html<String>> {
    render(&state, lang(&headers), &auth, &PlanForm::default(), &[]).await
}

/// The form as posted: the price in taka (`500` or `499.50`).
#[derive(Debug, Default, Deserialize)]
pub struct PlanForm {
    name: String,
    download: String,
    upload: String,
    #[serde(default)]
    burst_download: String,
    #[serde(default)]
    burst_upload: String,
    price: String,
}

/// Taka text to poisha, exactly (no floats near money). Bangla digits are accepted.
pub fn parse_taka(text: &str) -> Option<i64> {
    let text: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',')
        .map(|c| match c {
            '০'..='৯' => char::from(b'0' + (c as u32 - '০' as u32) as u8),
            c => c,
        })
        .collect();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

async fn render(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    form: &PlanForm,
    errors: &[FieldError],
) -> ApiResult<Html<String>> {
    let plans = plans::list(&state.store, &auth.tenant()?).await?;
    let rows: String = plans
        .iter()
        .map(|p| {
            let f = &p.fields;
            let burst = if f.burst_download.is_empty() {
                "-".to_owned()
            } else {
                format!("{}/{}", escape(&f.burst_download), escape(&f.burst_upload))
            };
            format!(
                "<tr><td>{}</td><td>{}/{}</td><td>{burst}</td><td>{}</td><td><code>{}</code></td></tr>",
                escape(&f.name),
                escape(&f.download),
                escape(&f.upload),
                taka(f.price_poisha, lang),
                crate::fleet::desired::profile_name(p.id),
            )
        })
        .collect();
    let form_html = if auth.can(Permission::PlansManage) {
        format!(
            "<h2>{add}</h2><form method=post action=/plans class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             {name}{down}{up}{bdown}{bup}{price}<span class=hint>{rate_hint}</span><button type=submit>{add}</button></form>",
            add = t(lang, "plans.create"),
            csrf = auth.csrf_token,
            name = field(lang, "plan-name", "name", "plans.name", "text", &form.name, errors),
            down = field(lang, "plan-download", "download", "plans.download", "text", &form.download, errors),
            up = field(lang, "plan-upload", "upload", "plans.upload", "text", &form.upload, errors),
            bdown = field(lang, "plan-burst-download", "burst_download", "plans.burst_download", "text", &form.burst_download, errors),
            bup = field(lang, "plan-burst-upload", "burst_upload", "plans.burst_upload", "text", &form.burst_upload, errors),
            price = field(lang, "plan-price", "price_poisha", "plans.price", "text", &form.price, errors),
            rate_hint = t(lang, "plans.rate_hint"),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1><table id=plans><thead><tr><th>{name}</th><th>{speed}</th><th>{burst}</th><th>{price}</th><th>{profile}</th></tr></thead>\
         <tbody>{rows}</tbody></table>{form_html}",
        title = t(lang, "plans.title"),
        name = t(lang, "plans.name"),
        speed = t(lang, "plans.speed"),
        burst = t(lang, "plans.burst"),
        price = t(lang, "plans.price"),
        profile = t(lang, "plans.profile"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/plans",
    }
    .render(t(lang, "plans.title"), &body))
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Form(form): Form<PlanForm>,
) -> ApiResult<Response> {
    let lang = lang(&headers);
    let Some(price_poisha) = parse_taka(&form.price) else {
        let errors = [FieldError {
            field: "price_poisha",
            code: "plans.bad_price",
        }];
        let page = render(&state, lang, &auth, &form, &errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let fields = PlanFields {
        name: form.name.clone(),
        download: form.download.clone(),
        upload: form.upload.clone(),
        burst_download: form.burst_download.clone(),
        burst_upload: form.burst_upload.clone(),
        price_poisha,
    };
    match create_plan(&state, &auth, &origin, &fields).await {
        Ok(_) => Ok(Redirect::to("/plans").into_response()),
        Err(ApiError::Validation(errors)) => {
            let page = render(&state, lang, &auth, &form, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_taka;

    #[test]
    fn taka_parses_exactly() {
        assert_eq!(parse_taka("500"), Some(50_000));
        assert_eq!(parse_taka("1,200.5"), Some(120_050));
        assert_eq!(parse_taka("0.05"), Some(5));
        assert_eq!(parse_taka("1.234"), None);
        assert_eq!(parse_taka("-5"), None);
        assert_eq!(parse_taka(""), None);
        assert_eq!(parse_taka("৫০০"), Some(50_000), "Bangla digits");
    }
}
