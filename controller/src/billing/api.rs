//! `/api/v1/billing` (settings, tax rates, runs) and `/api/v1/invoices` (documents, their PDF,
//! finalise, discard, void, credit, one-time charges), and each subscriber's statement.

use super::service::{
    self, ChargeInput, CreditInput, RateInput, RunInput, SettingsInput, VoidInput,
};
use super::store::{self, Invoice, InvoiceFilter, InvoiceLine, Run, Settings, TaxRateRow};
use super::{INVOICES, RUN, SETTINGS, VIEW};
use crate::kernel::http::extract::{ApiPath, ApiQuery, Input};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::http::{Access, Doc, Routes};
use crate::kernel::i18n::Lang;
use crate::kernel::ids::{BillingRunId, InvoiceId, SubscriberId};
use crate::kernel::work::Work;
use crate::kernel::Result;
use crate::ledger::store::{Balance, StatementRow};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Json;
use serde::{Deserialize, Serialize};

pub fn routes(r: Routes) -> Routes {
    use Access::Needs;
    r.api(
        "GET",
        "/api/v1/billing/settings",
        Needs(VIEW),
        Doc::new("The company's billing settings (the defaults while not configured)")
            .ok::<SettingsView>(),
        get(show_settings),
    )
    .api(
        "PUT",
        "/api/v1/billing/settings",
        Needs(SETTINGS),
        Doc::new("Save the billing settings (the first save switches billing on)")
            .body::<SettingsInput>()
            .ok::<Settings>(),
        put(save_settings),
    )
    .api(
        "GET",
        "/api/v1/billing/tax-rates",
        Needs(VIEW),
        Doc::new("Effective-dated VAT and SD rates").ok::<TaxRates>(),
        get(tax_rates),
    )
    .api(
        "POST",
        "/api/v1/billing/tax-rates",
        Needs(SETTINGS),
        Doc::new("A new rate from a day on (the rate in force ends the day before)")
            .body::<RateInput>()
            .ok::<TaxRates>(),
        post(add_rate),
    )
    .api(
        "GET",
        "/api/v1/billing/runs",
        Needs(VIEW),
        Doc::new("Billing runs, newest first")
            .query::<PageQuery>()
            .list::<Run>(),
        get(runs),
    )
    .api(
        "POST",
        "/api/v1/billing/runs",
        Needs(RUN),
        Doc::new("Run (or dry-run) billing for a period; answers when it has finished")
            .body::<RunInput>()
            .created::<Run>()
            .errors(&["billing_not_configured"]),
        post(start_run),
    )
    .api(
        "GET",
        "/api/v1/billing/runs/{id}",
        Needs(VIEW),
        Doc::new(
            "One billing run: counts, totals, errors, the comparison with the previous period",
        )
        .ok::<Run>(),
        get(show_run),
    )
    .api(
        "GET",
        "/api/v1/invoices",
        Needs(VIEW),
        Doc::new("Invoices and credit notes with their lines, newest first, filtered")
            .query::<InvoiceFilter>()
            .list::<InvoiceView>(),
        get(list),
    )
    .api(
        "POST",
        "/api/v1/invoices",
        Needs(INVOICES),
        Doc::new("A one-time charge (connection fee, equipment, late fee) as its own invoice")
            .body::<ChargeInput>()
            .created::<InvoiceView>()
            .errors(&["billing_not_configured"]),
        post(charge),
    )
    .api(
        "GET",
        "/api/v1/invoices/{id}",
        Needs(VIEW),
        Doc::new("One document with its lines, what is left to pay and its credit notes")
            .ok::<InvoiceView>(),
        get(show),
    )
    .api(
        "GET",
        "/api/v1/invoices/{id}/pdf",
        Needs(VIEW),
        Doc::new("The document as PDF (Mushak-6.3 / 6.7), `?lang=bn` for Bangla labels")
            .query::<PdfQuery>()
            .pdf(),
        get(pdf),
    )
    .api(
        "POST",
        "/api/v1/invoices/{id}/finalise",
        Needs(INVOICES),
        Doc::new("Finalise a draft: numbered and posted now")
            .ok::<InvoiceView>()
            .errors(&["not_a_draft", "billing_not_configured"]),
        post(finalise),
    )
    .api(
        "DELETE",
        "/api/v1/invoices/{id}",
        Needs(INVOICES),
        Doc::new("Discard a draft")
            .no_content()
            .errors(&["not_a_draft"]),
        delete(discard),
    )
    .api(
        "POST",
        "/api/v1/invoices/{id}/void",
        Needs(INVOICES),
        Doc::new("Void a finalised document nothing was paid or credited against")
            .body::<VoidInput>()
            .ok::<InvoiceView>()
            .errors(&["invoice_paid", "not_finalised"]),
        post(void),
    )
    .api(
        "POST",
        "/api/v1/invoices/{id}/credit",
        Needs(INVOICES),
        Doc::new(
            "A credit note against a finalised invoice, for part or all of what is left of it",
        )
        .body::<CreditInput>()
        .created::<InvoiceView>()
        .errors(&["not_finalised", "not_an_invoice", "billing_not_configured"]),
        post(credit),
    )
    .api(
        "GET",
        "/api/v1/subscribers/{id}/statement",
        Needs(VIEW),
        Doc::new("A subscriber's movements (invoices, credits, payments) with the running balance")
            .ok::<Statement>(),
        get(statement),
    )
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SettingsView {
    /// False until the settings are first saved (no run may start before).
    pub configured: bool,
    #[serde(flatten)]
    pub settings: Settings,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TaxRates {
    pub items: Vec<TaxRateRow>,
}

/// A document with its lines and what is left to pay.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvoiceView {
    #[serde(flatten)]
    pub invoice: Invoice,
    pub lines: Vec<InvoiceLine>,
    /// A finalised invoice's total less what settled it; 0 otherwise.
    pub outstanding_poisha: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Statement {
    #[serde(flatten)]
    pub balance: Balance,
    /// What the subscriber owes after their advance (negative: in credit).
    pub net_poisha: i64,
    pub items: Vec<StatementRow>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PdfQuery {
    /// `en` (default) or `bn`.
    pub lang: Option<String>,
}

async fn show_settings(mut work: Work) -> Result<Json<SettingsView>> {
    let company = work.scope().company();
    let stored = store::settings(work.db(), company).await?;
    Ok(Json(SettingsView {
        configured: stored.is_some(),
        settings: stored.unwrap_or_default(),
    }))
}

async fn save_settings(
    mut work: Work,
    Input(input): Input<SettingsInput>,
) -> Result<Json<Settings>> {
    let settings = service::save_settings(&mut work, &input).await?;
    work.commit().await?;
    Ok(Json(settings))
}

async fn tax_rates(mut work: Work) -> Result<Json<TaxRates>> {
    let company = work.scope().company();
    Ok(Json(TaxRates {
        items: store::tax_rates(work.db(), company).await?,
    }))
}

async fn add_rate(mut work: Work, Input(input): Input<RateInput>) -> Result<Json<TaxRates>> {
    let items = service::add_rate(&mut work, &input).await?;
    work.commit().await?;
    Ok(Json(TaxRates { items }))
}

async fn runs(mut work: Work, ApiQuery(page): ApiQuery<PageQuery>) -> Result<Json<Paged<Run>>> {
    let company = work.scope().company();
    Ok(Json(store::runs(work.db(), company, &page).await?))
}

async fn start_run(work: Work, Input(input): Input<RunInput>) -> Result<(StatusCode, Json<Run>)> {
    let run = service::run(work, &input).await?;
    Ok((StatusCode::CREATED, Json(run)))
}

async fn show_run(mut work: Work, ApiPath(id): ApiPath<BillingRunId>) -> Result<Json<Run>> {
    let company = work.scope().company();
    Ok(Json(store::run(work.db(), company, id).await?))
}

/// Documents with their lines.
pub async fn with_lines(work: &mut Work, invoices: Vec<Invoice>) -> Result<Vec<InvoiceView>> {
    let ids: Vec<InvoiceId> = invoices.iter().map(|i| i.id).collect();
    let mut lines = store::lines(work.db(), &ids).await?;
    let mut out = Vec::with_capacity(invoices.len());
    for invoice in invoices {
        let (mine, rest): (Vec<_>, Vec<_>) =
            lines.into_iter().partition(|l| l.invoice_id == invoice.id);
        lines = rest;
        let outstanding_poisha = match (invoice.kind.as_str(), invoice.status.as_str()) {
            ("invoice", "finalised") => super::compose::outstanding(work.db(), invoice.id).await?,
            _ => 0,
        };
        out.push(InvoiceView {
            invoice,
            lines: mine,
            outstanding_poisha,
        });
    }
    Ok(out)
}

async fn list(
    mut work: Work,
    ApiQuery(filter): ApiQuery<InvoiceFilter>,
) -> Result<Json<Paged<InvoiceView>>> {
    let page = store::list(&mut work, &filter).await?;
    let items = with_lines(&mut work, page.items).await?;
    Ok(Json(Paged {
        items,
        next_after: page.next_after,
        next_before: page.next_before,
    }))
}

async fn view(work: &mut Work, id: InvoiceId) -> Result<InvoiceView> {
    let invoice = store::get_invoice(work, id).await?;
    Ok(with_lines(work, vec![invoice]).await?.remove(0))
}

async fn show(mut work: Work, ApiPath(id): ApiPath<InvoiceId>) -> Result<Json<InvoiceView>> {
    Ok(Json(view(&mut work, id).await?))
}

/// The PDF of document `id` in `lang`.
pub async fn pdf_response(work: &mut Work, id: InvoiceId, lang: Lang) -> Result<Response> {
    let shown = service::show(work, id).await?;
    let company = work.scope().company();
    let settings = store::settings(work.db(), company)
        .await?
        .unwrap_or_default();
    let url = format!(
        "{}/pay/{}",
        work.state().config.public_url(),
        shown.invoice.public_token
    );
    let name = shown
        .invoice
        .number
        .clone()
        .unwrap_or_else(|| format!("draft-{id}"));
    let bytes = super::pdf::render(super::pdf::document(&shown, &settings, lang, &url)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}.pdf\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn pdf(
    mut work: Work,
    ApiPath(id): ApiPath<InvoiceId>,
    ApiQuery(q): ApiQuery<PdfQuery>,
) -> Result<Response> {
    let lang = q
        .lang
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or(Lang::En);
    pdf_response(&mut work, id, lang).await
}

async fn finalise(mut work: Work, ApiPath(id): ApiPath<InvoiceId>) -> Result<Json<InvoiceView>> {
    service::finalise(&mut work, id).await?;
    let view = view(&mut work, id).await?;
    work.commit().await?;
    Ok(Json(view))
}

async fn discard(mut work: Work, ApiPath(id): ApiPath<InvoiceId>) -> Result<StatusCode> {
    service::discard(&mut work, id).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn void(
    mut work: Work,
    ApiPath(id): ApiPath<InvoiceId>,
    Input(input): Input<VoidInput>,
) -> Result<Json<InvoiceView>> {
    service::void(&mut work, id, &input).await?;
    let view = view(&mut work, id).await?;
    work.commit().await?;
    Ok(Json(view))
}

async fn credit(
    mut work: Work,
    ApiPath(id): ApiPath<InvoiceId>,
    Input(input): Input<CreditInput>,
) -> Result<(StatusCode, Json<InvoiceView>)> {
    let note = service::credit(&mut work, id, &input).await?;
    let view = view(&mut work, note.id).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn charge(
    mut work: Work,
    Input(input): Input<ChargeInput>,
) -> Result<(StatusCode, Json<InvoiceView>)> {
    let invoice = service::one_time_charge(&mut work, &input).await?;
    let view = view(&mut work, invoice.id).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A subscriber's balance and movements.
pub async fn statement_of(work: &mut Work, id: SubscriberId) -> Result<Statement> {
    crate::subscribers::store::get(work, id).await?;
    let company = work.scope().company();
    let balance = crate::ledger::store::balances(work.db(), company, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let items = crate::ledger::store::statement(work.db(), company, id).await?;
    Ok(Statement {
        net_poisha: balance.net_poisha(),
        balance,
        items,
    })
}

async fn statement(mut work: Work, ApiPath(id): ApiPath<SubscriberId>) -> Result<Json<Statement>> {
    Ok(Json(statement_of(&mut work, id).await?))
}
