//! Billing's pages: the invoices list (filters, CSV), one document (lines, PDF in English or
//! Bangla, finalise, discard, void, credit), the billing page (settings, tax rates, runs and a
//! run form), one run's report, the subscriber page's money section, and the public payment
//! page a QR code opens.

use super::api::{statement_of, with_lines, InvoiceView};
use super::service::{
    self, ChargeInput, CreditInput, RateInput, RunInput, SettingsInput, VoidInput,
};
use super::store::{self, InvoiceFilter};
use super::{INVOICES, RUN, SETTINGS, VIEW};
use crate::kernel::date::dhaka_time;
use crate::kernel::error::FieldError;
use crate::kernel::http::csv::Csv;
use crate::kernel::http::extract::{ApiPath, ApiQuery, Input};
use crate::kernel::http::list::PageQuery;
use crate::kernel::http::page::{bare, escape, field, other_errors, select, Page};
use crate::kernel::http::{Access, Auth, Routes};
use crate::kernel::i18n::{t, taka, Lang};
use crate::kernel::ids::{BillingRunId, InvoiceId, SubscriberId};
use crate::kernel::money::Poisha;
use crate::kernel::work::Work;
use crate::kernel::{Error, Result};
use crate::tr;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub fn routes(r: Routes) -> Routes {
    use Access::{Needs, Public};
    r.add("GET", "/invoices", Needs(VIEW), get(list))
        .add("GET", "/invoices.csv", Needs(VIEW), get(export))
        .add("POST", "/invoices", Needs(INVOICES), post(charge))
        .add("GET", "/invoices/{id}", Needs(VIEW), get(show))
        .add(
            "POST",
            "/invoices/{id}/finalise",
            Needs(INVOICES),
            post(finalise),
        )
        .add(
            "POST",
            "/invoices/{id}/discard",
            Needs(INVOICES),
            post(discard),
        )
        .add("POST", "/invoices/{id}/void", Needs(INVOICES), post(void))
        .add(
            "POST",
            "/invoices/{id}/credit",
            Needs(INVOICES),
            post(credit),
        )
        .add("GET", "/billing", Needs(VIEW), get(billing))
        .add(
            "POST",
            "/billing/settings",
            Needs(SETTINGS),
            post(save_settings),
        )
        .add(
            "POST",
            "/billing/tax-rates",
            Needs(SETTINGS),
            post(add_rate),
        )
        .add("POST", "/billing/runs", Needs(RUN), post(start_run))
        .add("GET", "/billing/runs/{id}", Needs(VIEW), get(show_run))
        // The QR code on an invoice opens this without signing in: its unguessable token is the
        // key, and it shows only what the printed invoice shows.
        .add("GET", "/pay/{token}", Public, get(pay))
}

fn status_label(lang: Lang, status: &str) -> String {
    t(lang, &format!("invoices.{status}")).to_owned()
}

fn kind_label(lang: Lang, kind: &str) -> String {
    t(lang, &format!("invoices.{kind}")).to_owned()
}

fn money(p: i64, lang: Lang) -> String {
    taka(Poisha(p), lang)
}

fn invoice_rows(lang: Lang, views: &[InvoiceView]) -> String {
    views
        .iter()
        .map(|v| {
            let i = &v.invoice;
            format!(
                "<tr data-invoice={id}><td><a href=/invoices/{id}>{number}</a></td><td>{kind}</td><td>{buyer}</td><td>{period}</td><td>{status}</td><td class=num>{total}</td><td>{due}</td><td class=num>{outstanding}</td></tr>",
                id = i.id,
                number = escape(i.number.as_deref().unwrap_or("—")),
                kind = kind_label(lang, &i.kind),
                buyer = escape(&i.buyer_name),
                period = escape(i.period.as_deref().unwrap_or("")),
                status = status_label(lang, &i.status),
                total = money(i.total_poisha, lang),
                due = escape(i.due_on.as_deref().unwrap_or("")),
                outstanding = if v.outstanding_poisha > 0 { money(v.outstanding_poisha, lang) } else { String::new() },
            )
        })
        .collect()
}

fn invoice_table(lang: Lang, views: &[InvoiceView]) -> String {
    if views.is_empty() {
        return format!("<p class=muted>{}</p>", tr!(lang, "invoices.none"));
    }
    format!(
        "<table class=invoices><thead><tr><th>{number}</th><th>{kind}</th><th>{subscriber}</th><th>{period}</th><th>{status}</th><th>{total}</th><th>{due}</th><th>{outstanding}</th></tr></thead><tbody>{rows}</tbody></table>",
        number = tr!(lang, "invoices.number"),
        kind = tr!(lang, "invoices.kind"),
        subscriber = tr!(lang, "invoices.subscriber"),
        period = tr!(lang, "invoices.period"),
        status = tr!(lang, "invoices.status"),
        total = tr!(lang, "invoices.total"),
        due = tr!(lang, "invoices.due"),
        outstanding = tr!(lang, "invoices.outstanding"),
        rows = invoice_rows(lang, views),
    )
}

async fn list(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiQuery(filter): ApiQuery<InvoiceFilter>,
) -> Result<Html<String>> {
    let filter = InvoiceFilter {
        limit: Some(filter.limit.unwrap_or(100)),
        ..filter
    };
    let page = store::list(&mut work, &filter).await?;
    let next = page.next_before;
    let views = with_lines(&mut work, page.items).await?;
    let company = work.scope().company();
    let plans = crate::plans::store::all(work.db(), company).await?;
    let plan_options: Vec<(String, String)> =
        std::iter::once((String::new(), tr!(lang, "invoices.all").to_owned()))
            .chain(
                plans
                    .iter()
                    .map(|p| (p.id.to_string(), p.fields.name.clone())),
            )
            .collect();
    let statuses: Vec<(String, String)> = [
        ("", "invoices.all"),
        ("draft", "invoices.draft"),
        ("finalised", "invoices.finalised"),
        ("voided", "invoices.voided"),
    ]
    .iter()
    .map(|(v, k)| (v.to_string(), t(lang, k).to_owned()))
    .collect();
    let kinds: Vec<(String, String)> = [
        ("", "invoices.all"),
        ("invoice", "invoices.invoice"),
        ("credit_note", "invoices.credit_note"),
    ]
    .iter()
    .map(|(v, k)| (v.to_string(), t(lang, k).to_owned()))
    .collect();
    let query = filter_query(&filter);
    let more = next.map_or(String::new(), |b| {
        format!(
            "<p><a href=\"/invoices?{query}&before={b}\">{}</a></p>",
            tr!(lang, "invoices.more")
        )
    });
    let body = format!(
        "<h1>{title}</h1><form method=get action=/invoices class=filters>{period}{status}{kind}{plan}\
         <label><input type=checkbox name=unpaid value=true{unpaid}> {unpaid_label}</label><button type=submit>{filter_label}</button></form>\
         {table}{more}<p><a href=\"/invoices.csv?{query}\">{csv}</a></p>",
        title = tr!(lang, "invoices.title"),
        period = field(lang, "f-period", "period", "invoices.period", "month", filter.period.as_deref().unwrap_or(""), &[]),
        status = select(lang, "f-status", "status", "invoices.status", filter.status.as_deref().unwrap_or(""), &statuses, &[]),
        kind = select(lang, "f-kind", "kind", "invoices.kind", filter.kind.as_deref().unwrap_or(""), &kinds, &[]),
        plan = select(lang, "f-plan", "plan_id", "subscriptions.plan", &filter.plan_id.map_or(String::new(), |p| p.to_string()), &plan_options, &[]),
        unpaid = if filter.unpaid == Some(true) { " checked" } else { "" },
        unpaid_label = tr!(lang, "invoices.unpaid"),
        filter_label = tr!(lang, "invoices.filter"),
        table = invoice_table(lang, &views),
        csv = tr!(lang, "invoices.csv"),
    );
    Ok(Page {
        lang,
        auth: &auth,
        path: "/invoices",
    }
    .render(tr!(lang, "invoices.title"), &body))
}

/// The filter as a query string (for "older" and the CSV link).
fn filter_query(f: &InvoiceFilter) -> String {
    use crate::kernel::http::form::urlencode;
    let mut parts = Vec::new();
    if let Some(v) = &f.period {
        parts.push(format!("period={}", urlencode(v)));
    }
    if let Some(v) = &f.status {
        parts.push(format!("status={}", urlencode(v)));
    }
    if let Some(v) = &f.kind {
        parts.push(format!("kind={}", urlencode(v)));
    }
    if let Some(v) = f.plan_id {
        parts.push(format!("plan_id={v}"));
    }
    if let Some(v) = f.branch_id {
        parts.push(format!("branch_id={v}"));
    }
    if let Some(v) = f.subscriber_id {
        parts.push(format!("subscriber_id={v}"));
    }
    if f.unpaid == Some(true) {
        parts.push("unpaid=true".into());
    }
    parts.join("&")
}

async fn export(mut work: Work, ApiQuery(filter): ApiQuery<InvoiceFilter>) -> Result<Response> {
    let mut csv = Csv::new(&[
        "number",
        "kind",
        "status",
        "subscriber_id",
        "buyer",
        "period",
        "issued_dhaka",
        "due_on",
        "net_taka",
        "sd_taka",
        "vat_taka",
        "rounding_taka",
        "total_taka",
        "outstanding_taka",
    ]);
    let mut filter = InvoiceFilter {
        limit: Some(500),
        ..filter
    };
    let mut written = 0;
    loop {
        let page = store::list(&mut work, &filter).await?;
        let next = page.next_before;
        for v in with_lines(&mut work, page.items).await? {
            let i = v.invoice;
            csv.row(&[
                i.number.unwrap_or_default(),
                i.kind,
                i.status,
                i.subscriber_id.to_string(),
                i.buyer_name,
                i.period.unwrap_or_default(),
                i.issued_at.map(dhaka_time).unwrap_or_default(),
                i.due_on.unwrap_or_default(),
                Poisha(i.net_poisha).plain(),
                Poisha(i.sd_poisha).plain(),
                Poisha(i.vat_poisha).plain(),
                Poisha(i.rounding_poisha).plain(),
                Poisha(i.total_poisha).plain(),
                Poisha(v.outstanding_poisha).plain(),
            ]);
            written += 1;
        }
        match next {
            Some(before) if written < crate::kernel::http::csv::EXPORT_MAX_ROWS => {
                filter.before = Some(before)
            }
            _ => break,
        }
    }
    Ok(csv.download("invoices.csv"))
}

async fn show(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiPath(id): ApiPath<InvoiceId>,
) -> Result<Html<String>> {
    render_invoice(&mut work, lang, &auth, id, &[]).await
}

async fn render_invoice(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    id: InvoiceId,
    errors: &[FieldError],
) -> Result<Html<String>> {
    let shown = service::show(work, id).await?;
    let i = &shown.invoice;
    let lines: String = shown
        .lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td></tr>",
                escape(&l.description),
                l.quantity,
                money(l.unit_price_poisha, lang),
                money(l.net_poisha, lang),
                crate::kernel::i18n::percent(l.vat_rate_bp),
                money(l.vat_poisha, lang),
                money(l.total_poisha, lang),
            )
        })
        .collect();
    let csrf = &auth.csrf_token;
    let mut actions = String::new();
    if auth.can(INVOICES) {
        match (i.kind.as_str(), i.status.as_str()) {
            (_, "draft") => actions.push_str(&format!(
                "<form method=post action=/invoices/{id}/finalise class=inline><input type=hidden name=csrf value=\"{csrf}\"><button type=submit>{}</button></form>\
                 <form method=post action=/invoices/{id}/discard class=inline><input type=hidden name=csrf value=\"{csrf}\"><button type=submit>{}</button></form>",
                tr!(lang, "invoices.finalise"),
                tr!(lang, "invoices.discard"),
            )),
            (kind, "finalised") => {
                actions.push_str(&format!(
                    "<form method=post action=/invoices/{id}/void class=card><input type=hidden name=csrf value=\"{csrf}\">{reason}<button type=submit>{void}</button></form>",
                    reason = field(lang, "void-reason", "reason", "invoices.void_reason", "text", "", errors),
                    void = tr!(lang, "invoices.void"),
                ));
                if kind == "invoice" {
                    actions.push_str(&format!(
                        "<form method=post action=/invoices/{id}/credit class=card><input type=hidden name=csrf value=\"{csrf}\">{amount}{reason}<button type=submit>{credit}</button></form>",
                        amount = field(lang, "credit-amount", "amount", "invoices.credit_amount", "text", "", errors),
                        reason = field(lang, "credit-reason", "reason", "invoices.credit_reason", "text", "", errors),
                        credit = tr!(lang, "invoices.credit"),
                    ));
                }
            }
            _ => {}
        }
    }
    let credits = if shown.credit_notes.is_empty() {
        String::new()
    } else {
        let views = with_lines(work, shown.credit_notes.clone()).await?;
        format!(
            "<h2>{}</h2>{}",
            tr!(lang, "invoices.credits"),
            invoice_table(lang, &views)
        )
    };
    let reference = match (&i.credit_of, &shown.credit_of_number) {
        (Some(of), Some(number)) => format!(
            "<p>{}: <a href=/invoices/{of}>{}</a> · {}</p>",
            tr!(lang, "invoices.credit_of"),
            escape(number),
            escape(&i.note)
        ),
        _ => String::new(),
    };
    let title = format!(
        "{} {}",
        kind_label(lang, &i.kind),
        i.number.as_deref().unwrap_or("—")
    );
    let body = format!(
        "<h1>{title}</h1><p id=invoice-status data-status={status_code}>{status} · <a href=/subscribers/{subscriber}>{buyer}</a> · {period} {due}</p>{reference}\
         <table id=invoice-lines><thead><tr><th>{desc}</th><th>{qty}</th><th>{unit}</th><th>{net}</th><th>%</th><th>{vat}</th><th>{total}</th></tr></thead><tbody>{lines}</tbody>\
         <tfoot><tr><th colspan=3>{total}</th><th class=num>{net_total}</th><th></th><th class=num>{vat_total}</th><th class=num id=invoice-total>{grand}</th></tr></tfoot></table>\
         {rounding}{outstanding}<p><a href=\"/api/v1/invoices/{id}/pdf?lang=en\">PDF (English)</a> · <a href=\"/api/v1/invoices/{id}/pdf?lang=bn\">PDF (বাংলা)</a></p>\
         {errors}{actions}{credits}",
        title = escape(&title),
        status_code = i.status,
        status = status_label(lang, &i.status),
        subscriber = i.subscriber_id,
        buyer = escape(&i.buyer_name),
        period = escape(i.period.as_deref().unwrap_or("")),
        due = i.due_on.as_deref().map_or(String::new(), |d| format!("· {} {}", tr!(lang, "invoices.due"), escape(d))),
        desc = tr!(lang, "invoices.description"),
        qty = tr!(lang, "invoices.quantity"),
        unit = tr!(lang, "invoices.unit_price"),
        net = tr!(lang, "invoices.net"),
        vat = tr!(lang, "invoices.vat"),
        total = tr!(lang, "invoices.total"),
        net_total = money(i.net_poisha, lang),
        vat_total = money(i.vat_poisha, lang),
        grand = money(i.total_poisha, lang),
        rounding = if i.rounding_poisha != 0 { format!("<p>{}: {}</p>", tr!(lang, "invoices.rounding"), money(i.rounding_poisha, lang)) } else { String::new() },
        outstanding = if shown.outstanding_poisha > 0 { format!("<p id=outstanding>{}: {}</p>", tr!(lang, "invoices.outstanding"), money(shown.outstanding_poisha, lang)) } else { String::new() },
        errors = other_errors(lang, errors, &["reason", "amount"]),
    );
    Ok(Page {
        lang,
        auth,
        path: "/invoices",
    }
    .render(&title, &body))
}

/// After a document action: to the document, or its page again with the errors.
async fn after(
    result: Result<InvoiceId>,
    work: Work,
    lang: Lang,
    auth: Auth,
    id: InvoiceId,
) -> Result<Response> {
    match result {
        Ok(to) => {
            work.commit().await?;
            Ok(Redirect::to(&format!("/invoices/{to}")).into_response())
        }
        Err(e) if !e.fields().is_empty() => {
            let errors = e.fields().to_vec();
            let mut work = work.rolled_back().await?;
            let page = render_invoice(&mut work, lang, &auth, id, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn finalise(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiPath(id): ApiPath<InvoiceId>,
) -> Result<Response> {
    let result = service::finalise(&mut work, id).await.map(|i| i.id);
    after(result, work, lang, auth, id).await
}

async fn discard(mut work: Work, ApiPath(id): ApiPath<InvoiceId>) -> Result<Response> {
    service::discard(&mut work, id).await?;
    work.commit().await?;
    Ok(Redirect::to("/invoices").into_response())
}

async fn void(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiPath(id): ApiPath<InvoiceId>,
    Input(input): Input<VoidInput>,
) -> Result<Response> {
    let result = service::void(&mut work, id, &input).await.map(|i| i.id);
    after(result, work, lang, auth, id).await
}

async fn credit(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiPath(id): ApiPath<InvoiceId>,
    Input(input): Input<CreditInput>,
) -> Result<Response> {
    let result = service::credit(&mut work, id, &input).await.map(|i| i.id);
    after(result, work, lang, auth, id).await
}

async fn charge(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<ChargeInput>,
) -> Result<Response> {
    let subscriber = input
        .subscriber_id
        .ok_or_else(|| Error::field("subscriber_id", "field.required"))?;
    let result = service::one_time_charge(&mut work, &input)
        .await
        .map(|_| ());
    crate::subscribers::pages::after_form(result, work, lang, auth, subscriber).await
}

/// The subscriber page's money: their balance, documents, statement, and a one-time charge.
pub async fn subscriber_section(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    subscriber: SubscriberId,
) -> Result<String> {
    let docs = store::list(
        work,
        &InvoiceFilter {
            subscriber_id: Some(subscriber),
            limit: Some(50),
            ..Default::default()
        },
    )
    .await?;
    let views = with_lines(work, docs.items).await?;
    let statement = statement_of(work, subscriber).await?;
    let rows: String = statement
        .items
        .iter()
        .map(|r| {
            let (debit, credit) = if r.amount_poisha >= 0 { (money(r.amount_poisha, lang), String::new()) } else { (String::new(), money(-r.amount_poisha, lang)) };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=num>{debit}</td><td class=num>{credit}</td><td class=num>{}</td></tr>",
                escape(&r.posted_on),
                escape(&r.kind),
                escape(&r.memo),
                money(r.balance_poisha, lang)
            )
        })
        .collect();
    let charge = if auth.can(INVOICES) {
        let categories: Vec<(String, String)> = service::CATEGORIES
            .iter()
            .map(|c| (c.to_string(), t(lang, &format!("invoices.{c}")).to_owned()))
            .collect();
        format!(
            "<details><summary>{title}</summary><form method=post action=/invoices class=card><input type=hidden name=csrf value=\"{csrf}\"><input type=hidden name=subscriber_id value={subscriber}>{category}{description}{quantity}{price}<button type=submit>{add}</button></form></details>",
            title = tr!(lang, "invoices.one_time"),
            csrf = auth.csrf_token,
            category = select(lang, "charge-category", "category", "invoices.category", "connection_fee", &categories, &[]),
            description = field(lang, "charge-description", "description", "invoices.description", "text", "", &[]),
            quantity = field(lang, "charge-quantity", "quantity", "invoices.quantity", "number", "1", &[]),
            price = field(lang, "charge-price", "unit_price", "invoices.unit_price", "text", "", &[]),
            add = tr!(lang, "invoices.add"),
        )
    } else {
        String::new()
    };
    Ok(format!(
        "<h2>{title}</h2><p id=balance data-net={net}>{outstanding}: {net_text}</p>{table}\
         <h3>{statement_title}</h3><table id=statement><thead><tr><th>{day}</th><th></th><th></th><th>{debit}</th><th>{credit}</th><th>{balance}</th></tr></thead><tbody>{rows}</tbody></table>{charge}",
        title = tr!(lang, "invoices.title"),
        net = statement.net_poisha,
        outstanding = tr!(lang, "invoices.outstanding"),
        net_text = money(statement.net_poisha, lang),
        table = invoice_table(lang, &views),
        statement_title = tr!(lang, "billing.statement"),
        day = tr!(lang, "ledger.month"),
        debit = tr!(lang, "ledger.debit"),
        credit = tr!(lang, "ledger.credit"),
        balance = tr!(lang, "billing.balance"),
    ))
}

async fn billing(mut work: Work, lang: Lang, auth: Auth) -> Result<Html<String>> {
    render_billing(&mut work, lang, &auth, None, &[]).await
}

async fn render_billing(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    form: Option<&SettingsInput>,
    errors: &[FieldError],
) -> Result<Html<String>> {
    let company = work.scope().company();
    let stored = store::settings(work.db(), company).await?;
    let settings = stored.clone().unwrap_or_default();
    let input = form
        .cloned()
        .unwrap_or_else(|| SettingsInput::from(&settings));
    let rates = store::tax_rates(work.db(), company).await?;
    let runs = store::runs(work.db(), company, &PageQuery::first(20))
        .await?
        .items;
    let csrf = &auth.csrf_token;
    let opts = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(v, k)| (v.to_string(), t(lang, k).to_owned()))
            .collect()
    };
    let settings_form = if auth.can(SETTINGS) {
        format!(
            "<form method=post action=/billing/settings class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">{cycle}{day}{timing}{due}{preview}{rounding}\
             <label><input type=checkbox name=series_per_branch value=on{per_branch}> {per_branch_label}</label>{bkash}{note}<button type=submit>{save}</button></form>",
            cycle = select(lang, "b-cycle", "cycle", "billing.cycle", &input.cycle, &opts(&[("fixed", "billing.fixed"), ("anniversary", "billing.anniversary")]), errors),
            day = field(lang, "b-day", "billing_day", "billing.billing_day", "number", &input.billing_day.map_or(String::new(), |d| d.to_string()), errors),
            timing = select(lang, "b-timing", "timing", "billing.timing", &input.timing, &opts(&[("prepaid", "billing.prepaid"), ("postpaid", "billing.postpaid")]), errors),
            due = field(lang, "b-due", "due_day", "billing.due_day", "number", &input.due_day.map_or(String::new(), |d| d.to_string()), errors),
            preview = field(lang, "b-preview", "preview_days", "billing.preview_days", "number", &input.preview_days.map_or(String::new(), |d| d.to_string()), errors),
            rounding = select(lang, "b-rounding", "rounding", "billing.rounding", &input.rounding, &opts(&[("poisha", "billing.round_poisha"), ("taka", "billing.round_taka")]), errors),
            per_branch = if input.series_per_branch { " checked" } else { "" },
            per_branch_label = tr!(lang, "billing.series_per_branch"),
            bkash = field(lang, "b-bkash", "bkash_number", "billing.bkash_number", "tel", &input.bkash_number, errors),
            note = field(lang, "b-note", "payment_note", "billing.payment_note", "text", &input.payment_note, errors),
            save = tr!(lang, "billing.save"),
        )
    } else {
        String::new()
    };
    let rate_rows: String = rates
        .iter()
        .map(|r| {
            format!(
                "<tr><td>{}</td><td class=num>{}</td><td>{}</td><td>{}</td></tr>",
                r.kind.to_uppercase(),
                crate::kernel::i18n::percent(r.rate_bp),
                r.valid_from,
                r.valid_to.map_or("—".to_owned(), |d| d.to_string())
            )
        })
        .collect();
    let rate_form = if auth.can(SETTINGS) && stored.is_some() {
        format!(
            "<form method=post action=/billing/tax-rates class=inline><input type=hidden name=csrf value=\"{csrf}\">{kind}{rate}{from}<button type=submit>{add}</button></form>",
            kind = select(lang, "r-kind", "kind", "billing.tax_kind", "vat", &[("vat".into(), "VAT".into()), ("sd".into(), "SD".into())], errors),
            rate = field(lang, "r-rate", "rate", "billing.rate", "text", "", errors),
            from = field(lang, "r-from", "valid_from", "billing.valid_from", "date", "", errors),
            add = tr!(lang, "billing.add_rate"),
        )
    } else {
        String::new()
    };
    let run_rows: String = runs
        .iter()
        .map(|r| format!(
            "<tr data-run={id}><td><a href=/billing/runs/{id}>{period}</a></td><td>{dry}</td><td>{status}</td><td class=num>{subs}</td><td class=num>{inv}</td><td class=num>{cn}</td><td class=num>{total}</td><td>{who}</td><td>{when}</td></tr>",
            id = r.id,
            period = escape(&r.period),
            dry = if r.dry_run != 0 { "dry" } else { "" },
            status = escape(&r.status),
            subs = r.subscriptions,
            inv = r.invoices,
            cn = r.credit_notes,
            total = money(r.total_poisha, lang),
            who = escape(&r.actor),
            when = dhaka_time(r.started_at),
        ))
        .collect();
    let next = work.state().clock.today();
    let run_form = if auth.can(RUN) && stored.is_some() {
        format!(
            "<form method=post action=/billing/runs class=inline><input type=hidden name=csrf value=\"{csrf}\">{period}<label><input type=checkbox name=dry_run value=on checked> {dry}</label><button type=submit>{run}</button></form>",
            period = field(lang, "run-period", "period", "billing.period", "text", &format!("{:04}-{:02}", next.year(), next.month()), errors),
            dry = tr!(lang, "billing.dry_run"),
            run = tr!(lang, "billing.run"),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1>{not_configured}{errors}<h2>{settings_title}</h2>{settings_form}\
         <h2>{rates_title}</h2><table id=tax-rates><thead><tr><th>{kind}</th><th>{rate}</th><th>{from}</th><th>{to}</th></tr></thead><tbody>{rate_rows}</tbody></table>{rate_form}\
         <h2>{runs_title}</h2>{run_form}<table id=runs><thead><tr><th>{period}</th><th></th><th>{status}</th><th>{subs}</th><th>{inv}</th><th>{cn}</th><th>{total}</th><th></th><th></th></tr></thead><tbody>{run_rows}</tbody></table>",
        title = tr!(lang, "billing.title"),
        not_configured = if stored.is_none() { format!("<p class=error role=alert>{}</p>", tr!(lang, "billing.not_configured")) } else { String::new() },
        errors = other_errors(lang, errors, &["cycle", "billing_day", "timing", "due_day", "preview_days", "rounding", "bkash_number", "payment_note", "kind", "rate", "valid_from", "period"]),
        settings_title = tr!(lang, "billing.settings"),
        rates_title = tr!(lang, "billing.tax_rates"),
        kind = tr!(lang, "billing.tax_kind"),
        rate = tr!(lang, "billing.rate"),
        from = tr!(lang, "billing.valid_from"),
        to = tr!(lang, "billing.valid_to"),
        runs_title = tr!(lang, "billing.runs"),
        period = tr!(lang, "invoices.period"),
        status = tr!(lang, "invoices.status"),
        subs = tr!(lang, "billing.subscriptions"),
        inv = tr!(lang, "invoices.invoice"),
        cn = tr!(lang, "invoices.credit_note"),
        total = tr!(lang, "invoices.total"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/billing",
    }
    .render(tr!(lang, "billing.title"), &body))
}

/// A billing form's answer: back to the billing page, or it again with the errors.
async fn billing_after(
    result: Result<Option<String>>,
    work: Work,
    lang: Lang,
    auth: Auth,
    form: Option<&SettingsInput>,
) -> Result<Response> {
    match result {
        Ok(to) => {
            work.commit().await?;
            Ok(Redirect::to(to.as_deref().unwrap_or("/billing")).into_response())
        }
        Err(e) if !e.fields().is_empty() => {
            let errors = e.fields().to_vec();
            let mut work = work.rolled_back().await?;
            let page = render_billing(&mut work, lang, &auth, form, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn save_settings(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<SettingsInput>,
) -> Result<Response> {
    let result = service::save_settings(&mut work, &input)
        .await
        .map(|_| None);
    billing_after(result, work, lang, auth, Some(&input)).await
}

async fn add_rate(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<RateInput>,
) -> Result<Response> {
    let result = service::add_rate(&mut work, &input).await.map(|_| None);
    billing_after(result, work, lang, auth, None).await
}

async fn start_run(
    work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<RunInput>,
) -> Result<Response> {
    let state = work.state().clone();
    let (scope, actor, held) = (
        work.scope(),
        work.actor().clone(),
        crate::kernel::work::Held::Everything,
    );
    match service::run(work, &input).await {
        Ok(run) => Ok(Redirect::to(&format!("/billing/runs/{}", run.id)).into_response()),
        Err(e) if !e.fields().is_empty() => {
            let errors = e.fields().to_vec();
            let mut work = Work::read(&state, scope, actor, held).await?;
            let page = render_billing(&mut work, lang, &auth, None, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn show_run(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    ApiPath(id): ApiPath<BillingRunId>,
) -> Result<Html<String>> {
    let company = work.scope().company();
    let run = store::run(work.db(), company, id).await?;
    let summary: serde_json::Value = serde_json::from_str(&run.summary).unwrap_or_default();
    let plans: String = summary["plans"]
        .as_array()
        .map(|plans| {
            plans
                .iter()
                .map(|p| {
                    let (now, before) = (p["total_poisha"].as_i64().unwrap_or(0), p["previous_total_poisha"].as_i64().unwrap_or(0));
                    format!(
                        "<tr><td>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td></tr>",
                        escape(p["name"].as_str().unwrap_or("")),
                        p["subscribers"].as_i64().unwrap_or(0),
                        money(now, lang),
                        p["previous_subscribers"].as_i64().unwrap_or(0),
                        money(before, lang),
                        money(now - before, lang),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let ids = |key: &str| -> String {
        summary[key]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|v| v.as_i64())
                    .map(|id| format!("<a href=/subscribers/{id}>{id}</a>"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let title = format!("{} {}", tr!(lang, "billing.run"), run.period);
    let body = format!(
        "<h1>{title}{dry}</h1><dl class=card id=run data-status={status}><dt>{issued_label}</dt><dd id=run-issued>{issued} · {issued_total}</dd>\
         <dt>{period}</dt><dd>{subs} · {total}</dd><dt>{previous}</dt><dd>{prev_subs} · {prev_total}</dd><dt>{errors_label}</dt><dd>{errors}</dd></dl>\
         <table id=run-plans><thead><tr><th>{plan}</th><th>{subs_label}</th><th>{total_label}</th><th>{subs_label} ({previous})</th><th>{total_label} ({previous})</th><th>Δ</th></tr></thead><tbody>{plans}</tbody></table>\
         <p>{new_label} ({new_count}): {new}</p><p>{missing_label} ({missing_count}): {missing}</p><p>{who} · {when}</p>",
        title = escape(&title),
        dry = if run.dry_run != 0 { format!(" <span class=muted>({})</span>", tr!(lang, "billing.dry_run")) } else { String::new() },
        status = escape(&run.status),
        issued_label = tr!(lang, "billing.issued"),
        issued = summary["issued"].as_i64().unwrap_or(0),
        issued_total = money(summary["issued_total_poisha"].as_i64().unwrap_or(0), lang),
        period = escape(&run.period),
        subs = summary["subscribers"].as_i64().unwrap_or(0),
        total = money(summary["total_poisha"].as_i64().unwrap_or(0), lang),
        previous = tr!(lang, "billing.previous"),
        prev_subs = summary["previous_subscribers"].as_i64().unwrap_or(0),
        prev_total = money(summary["previous_total_poisha"].as_i64().unwrap_or(0), lang),
        errors_label = tr!(lang, "billing.errors"),
        errors = escape(&run.errors),
        plan = tr!(lang, "subscriptions.plan"),
        subs_label = tr!(lang, "billing.subscriptions"),
        total_label = tr!(lang, "invoices.total"),
        new_label = tr!(lang, "billing.new_subscribers"),
        new_count = summary["new_count"].as_i64().unwrap_or(0),
        new = ids("new_subscribers"),
        missing_label = tr!(lang, "billing.missing_subscribers"),
        missing_count = summary["missing_count"].as_i64().unwrap_or(0),
        missing = ids("missing_subscribers"),
        who = escape(&run.actor),
        when = dhaka_time(run.started_at),
    );
    Ok(Page {
        lang,
        auth: &auth,
        path: "/billing",
    }
    .render(&title, &body))
}

/// The payment page of the invoice the token names: what is due and how to pay (online
/// gateways arrive with the payments issue).
async fn pay(
    State(state): State<AppState>,
    lang: Lang,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<Html<String>> {
    if token.len() > 100 {
        return Err(Error::NotFound);
    }
    let mut db = state.store.conn().await?;
    let invoice = store::by_token(&mut db, &token).await?;
    if invoice.kind != "invoice" {
        return Err(Error::NotFound);
    }
    let outstanding = super::compose::outstanding(&mut db, invoice.id).await?;
    let settings = store::settings(&mut db, invoice.company_id)
        .await?
        .unwrap_or_default();
    let mut how = Vec::new();
    if !settings.bkash_number.is_empty() {
        how.push(format!(
            "<li>bKash: {}</li>",
            escape(&settings.bkash_number)
        ));
    }
    if !settings.payment_note.is_empty() {
        how.push(format!("<li>{}</li>", escape(&settings.payment_note)));
    }
    let body = format!(
        "<h1>{title}</h1><p>{seller}</p><p>{number_label}: {number}</p><p id=pay-due>{due_label}: {due}</p><p id=pay-outstanding>{outstanding_label}: {outstanding}</p>\
         <h2>{how_label}</h2><ul>{how}</ul>",
        title = tr!(lang, "invoices.pay_title"),
        seller = escape(&invoice.seller_name),
        number_label = tr!(lang, "invoices.number"),
        number = escape(invoice.number.as_deref().unwrap_or("")),
        due_label = tr!(lang, "invoices.due"),
        due = escape(invoice.due_on.as_deref().unwrap_or("")),
        outstanding_label = tr!(lang, "invoices.outstanding"),
        outstanding = money(outstanding, lang),
        how_label = tr!(lang, "invoices.how_to_pay"),
        how = how.join(""),
    );
    Ok(Html(bare(lang, tr!(lang, "invoices.pay_title"), &body)))
}
