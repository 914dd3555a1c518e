//! The plans page: speeds and prices (৳), and the add form.

use super::service::{self, PlanInput};
use super::{store, MANAGE};
use crate::kernel::error::FieldError;
use crate::kernel::http::extract::Input;
use crate::kernel::http::page::{escape, field, Page};
use crate::kernel::http::{Access, Auth, Routes};
use crate::kernel::i18n::{percent, taka, Lang};
use crate::kernel::money::Poisha;
use crate::kernel::work::Work;
use crate::kernel::Result;
use crate::tr;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/plans",
        Access::Needs(crate::subscribers::VIEW),
        get(list),
    )
    .add("POST", "/plans", Access::Needs(MANAGE), post(create))
}

async fn list(mut work: Work, lang: Lang, auth: Auth) -> Result<Html<String>> {
    render(&mut work, lang, &auth, &PlanInput::default(), &[]).await
}

async fn render(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    form: &PlanInput,
    errors: &[FieldError],
) -> Result<Html<String>> {
    let company = work.scope().company();
    let plans = store::all(work.db(), company).await?;
    let prices = crate::billing::service::plan_prices(work, &plans).await?;
    let rows: String = plans
        .iter()
        .zip(&prices)
        .map(|(p, price)| {
            let f = &p.fields;
            let burst = if f.burst_download.is_empty() {
                "-".to_owned()
            } else {
                format!("{}/{}", escape(&f.burst_download), escape(&f.burst_upload))
            };
            let warning = price.over_cap.map_or(String::new(), |cap| {
                format!(
                    " <span class=\"error over-cap\" title=\"{}\">{} ({})</span>",
                    tr!(lang, "plans.cap_hint"),
                    tr!(lang, "billing.plan_over_cap"),
                    taka(Poisha(cap.max_poisha), lang),
                )
            });
            format!(
                "<tr data-plan={id}><td>{}</td><td>{}/{}</td><td>{burst}</td><td>{}{warning}</td><td class=with-tax>{}</td><td><code>{}</code></td></tr>",
                escape(&f.name),
                escape(&f.download),
                escape(&f.upload),
                taka(f.price_poisha, lang),
                taka(price.with_tax, lang),
                crate::fleet::desired::profile_name(p.id),
                id = p.id,
            )
        })
        .collect();
    let form_html = if auth.can(MANAGE) {
        let price = form.price.clone().unwrap_or_default();
        format!(
            "<h2>{add}</h2><form method=post action=/plans class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             {name}{down}{up}{bdown}{bup}{price}<span class=hint>{rate_hint}</span><button type=submit>{add}</button></form>",
            add = tr!(lang, "plans.create"),
            csrf = auth.csrf_token,
            name = field(lang, "plan-name", "name", "plans.name", "text", &form.name, errors),
            down = field(lang, "plan-download", "download", "plans.download", "text", &form.download, errors),
            up = field(lang, "plan-upload", "upload", "plans.upload", "text", &form.upload, errors),
            bdown = field(lang, "plan-burst-download", "burst_download", "plans.burst_download", "text", &form.burst_download, errors),
            bup = field(lang, "plan-burst-upload", "burst_upload", "plans.burst_upload", "text", &form.burst_upload, errors),
            price = field(lang, "plan-price", "price", "plans.price", "text", &price, &price_errors(errors)),
            rate_hint = tr!(lang, "plans.rate_hint"),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1><table id=plans><thead><tr><th>{name}</th><th>{speed}</th><th>{burst}</th><th>{price}</th><th>{with_tax} ({vat})</th><th>{profile}</th></tr></thead>\
         <tbody>{rows}</tbody></table>{form_html}",
        title = tr!(lang, "plans.title"),
        name = tr!(lang, "plans.name"),
        speed = tr!(lang, "plans.speed"),
        burst = tr!(lang, "plans.burst"),
        price = tr!(lang, "plans.price"),
        with_tax = tr!(lang, "plans.with_tax"),
        vat = percent(prices.first().map_or(0, |p| p.vat_bp)),
        profile = tr!(lang, "plans.profile"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/plans",
    }
    .render(tr!(lang, "plans.title"), &body))
}

/// The form's price field is `price` (taka); its errors come back as `price_poisha`.
fn price_errors(errors: &[FieldError]) -> Vec<FieldError> {
    errors
        .iter()
        .map(|e| {
            if e.field == "price_poisha" {
                FieldError::new("price", e.code)
            } else {
                e.clone()
            }
        })
        .collect()
}

async fn create(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<PlanInput>,
) -> Result<Response> {
    match service::create(&mut work, &input).await {
        Ok(_) => {
            work.commit().await?;
            Ok(Redirect::to("/plans").into_response())
        }
        Err(e) if !e.fields().is_empty() => {
            let mut work = work.rolled_back().await?;
            let page = render(&mut work, lang, &auth, &input, e.fields()).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}
