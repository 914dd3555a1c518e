//! The subscriptions section of the subscriber page (each subscription with its history, and
//! forms to change plan, pause and end it, or add one), and the forms' handlers: done, they go
//! back to the subscriber; refused, the subscriber page shows why.

use super::service::{self, PauseInput, PlanChangeInput, SubscriptionInput, TerminateInput};
use super::store;
use crate::kernel::error::FieldError;
use crate::kernel::http::extract::{ApiPath, Input};
use crate::kernel::http::page::{escape, field, other_errors, select};
use crate::kernel::http::{Access, Auth, Routes};
use crate::kernel::i18n::{t, taka, Lang};
use crate::kernel::ids::{SubscriberId, SubscriptionId};
use crate::kernel::money::Poisha;
use crate::kernel::work::Work;
use crate::kernel::{Error, Result};
use crate::subscribers::MANAGE;
use crate::tr;
use axum::response::Response;
use axum::routing::post;

pub fn routes(r: Routes) -> Routes {
    use Access::Needs;
    r.add("POST", "/subscriptions", Needs(MANAGE), post(create))
        .add(
            "POST",
            "/subscriptions/{id}/plan",
            Needs(MANAGE),
            post(change_plan),
        )
        .add(
            "POST",
            "/subscriptions/{id}/pause",
            Needs(MANAGE),
            post(pause),
        )
        .add(
            "POST",
            "/subscriptions/{id}/terminate",
            Needs(MANAGE),
            post(terminate),
        )
}

/// The section: each subscription, its events, and (for `subscribers.manage`) its forms.
pub async fn section(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    subscriber: SubscriberId,
    errors: &[FieldError],
) -> Result<String> {
    let subs = store::of_subscriber(work, subscriber).await?;
    let company = work.scope().company();
    let events = store::events_of(
        work.db(),
        company,
        &subs.iter().map(|s| s.id).collect::<Vec<_>>(),
    )
    .await?;
    let plans = crate::plans::store::all(work.db(), company).await?;
    let plan_name = |id: crate::kernel::ids::PlanId| {
        plans
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_string(), |p| p.fields.name.clone())
    };
    let plan_options: Vec<(String, String)> = plans
        .iter()
        .map(|p| {
            (
                p.id.to_string(),
                format!("{} · {}", p.fields.name, taka(p.fields.price_poisha, lang)),
            )
        })
        .collect();
    let today = work.state().clock.today();
    let can = auth.can(MANAGE);
    let mut out = format!(
        "<h2>{}</h2>{}",
        tr!(lang, "subscriptions.title"),
        other_errors(lang, errors, &[])
    );
    for sub in &subs {
        let history: String = events
            .iter()
            .filter(|e| e.subscription_id == sub.id)
            .map(|e| {
                let what = match (e.kind.as_str(), e.plan_id, e.until_on) {
                    ("plan_change", Some(p), _) => format!("→ {}", escape(&plan_name(p))),
                    ("pause", _, Some(until)) => format!("{} – {until}", e.effective_on),
                    _ => String::new(),
                };
                format!(
                    "<li>{day} · {kind} {what} <span class=muted>{note} · {actor}</span></li>",
                    day = e.effective_on,
                    kind = t(lang, &format!("subscriptions.event.{}", e.kind)),
                    note = escape(&e.note),
                    actor = escape(&e.actor),
                )
            })
            .collect();
        let price = match sub.price_override_poisha {
            Some(p) => format!(" · {}", taka(Poisha(p), lang)),
            None => String::new(),
        };
        let discount = if sub.discount_poisha > 0 {
            format!(
                " · −{}/{}",
                taka(Poisha(sub.discount_poisha), lang),
                sub.discount_until.map_or("∞".to_owned(), |d| d.to_string())
            )
        } else {
            String::new()
        };
        let current = service::plan_on(sub, &events, today.max(sub.starts_on));
        out.push_str(&format!(
            "<div class=card data-subscription={id}><h3>{plan}{price}{discount}{primary}</h3><p>{starts}: {from}{ends}</p><ul class=history>{history}</ul>",
            id = sub.id,
            plan = escape(&plan_name(current)),
            primary = if sub.is_primary { format!(" <span class=muted>({})</span>", tr!(lang, "subscriptions.primary")) } else { String::new() },
            starts = tr!(lang, "subscriptions.starts_on"),
            from = sub.starts_on,
            ends = sub.ends_on.map_or(String::new(), |d| format!(" · {}: {d}", tr!(lang, "subscriptions.ends_on"))),
        ));
        if can && sub.ends_on.is_none() {
            let csrf = &auth.csrf_token;
            out.push_str(&format!(
                "<form method=post action=/subscriptions/{id}/plan class=inline><input type=hidden name=csrf value=\"{csrf}\">{plan}{from}<button type=submit>{change}</button></form>\
                 <form method=post action=/subscriptions/{id}/pause class=inline><input type=hidden name=csrf value=\"{csrf}\">{pf}{pt}<button type=submit>{pause}</button></form>\
                 <form method=post action=/subscriptions/{id}/terminate class=inline><input type=hidden name=csrf value=\"{csrf}\">{last}<button type=submit>{end}</button></form>",
                id = sub.id,
                plan = select(lang, &format!("plan-{}", sub.id), "plan_id", "subscriptions.plan", &current.to_string(), &plan_options, &[]),
                from = field(lang, &format!("effective-{}", sub.id), "effective_on", "subscriptions.effective_on", "date", "", &[]),
                change = tr!(lang, "subscriptions.change_plan"),
                pf = field(lang, &format!("pause-from-{}", sub.id), "from", "subscriptions.pause_from", "date", "", &[]),
                pt = field(lang, &format!("pause-to-{}", sub.id), "to", "subscriptions.pause_to", "date", "", &[]),
                pause = tr!(lang, "subscriptions.pause"),
                last = field(lang, &format!("last-{}", sub.id), "ends_on", "subscriptions.last_day", "date", &today.to_string(), &[]),
                end = tr!(lang, "subscriptions.terminate"),
            ));
        }
        out.push_str("</div>");
    }
    if can {
        out.push_str(&format!(
            "<details><summary>{add}</summary><form method=post action=/subscriptions class=card><input type=hidden name=csrf value=\"{csrf}\"><input type=hidden name=subscriber_id value={subscriber}>{plan}{starts}{price}{discount}{until}<button type=submit>{add}</button></form></details>",
            add = tr!(lang, "subscriptions.add"),
            csrf = auth.csrf_token,
            plan = select(lang, "new-plan", "plan_id", "subscriptions.plan", "", &plan_options, errors),
            starts = field(lang, "new-starts", "starts_on", "subscriptions.starts_on", "date", &today.to_string(), errors),
            price = field(lang, "new-price", "price_override_poisha", "subscriptions.price_override", "number", "", errors),
            discount = field(lang, "new-discount", "discount_poisha", "subscriptions.discount", "number", "", errors),
            until = field(lang, "new-until", "discount_until", "subscriptions.discount_until", "date", "", errors),
        ));
    }
    Ok(out)
}

async fn subscriber_of(work: &mut Work, id: SubscriptionId) -> Result<SubscriberId> {
    Ok(store::get_one(work, id).await?.subscriber_id)
}

async fn create(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<SubscriptionInput>,
) -> Result<Response> {
    let subscriber = input
        .subscriber_id
        .ok_or_else(|| Error::field("subscriber_id", "field.required"))?;
    let result = service::create(&mut work, &input, false).await.map(|_| ());
    crate::subscribers::pages::after_form(result, work, lang, auth, subscriber).await
}

async fn change_plan(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiPath(id): ApiPath<SubscriptionId>,
    Input(input): Input<PlanChangeInput>,
) -> Result<Response> {
    let subscriber = subscriber_of(&mut work, id).await?;
    let result = service::change_plan(&mut work, id, &input)
        .await
        .map(|_| ());
    crate::subscribers::pages::after_form(result, work, lang, auth, subscriber).await
}

async fn pause(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiPath(id): ApiPath<SubscriptionId>,
    Input(input): Input<PauseInput>,
) -> Result<Response> {
    let subscriber = subscriber_of(&mut work, id).await?;
    let result = service::pause(&mut work, id, &input).await.map(|_| ());
    crate::subscribers::pages::after_form(result, work, lang, auth, subscriber).await
}

async fn terminate(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiPath(id): ApiPath<SubscriptionId>,
    Input(input): Input<TerminateInput>,
) -> Result<Response> {
    let subscriber = subscriber_of(&mut work, id).await?;
    let result = service::terminate(&mut work, id, &input).await.map(|_| ());
    crate::subscribers::pages::after_form(result, work, lang, auth, subscriber).await
}
