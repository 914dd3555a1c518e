//! `/api/v1/ledger`: the trial balance and the VAT payable per month.

use super::store::{TrialRow, VatMonth};
use super::{service, VIEW};
use crate::kernel::http::{Access, Doc, Routes};
use crate::kernel::work::Work;
use crate::kernel::Result;
use axum::routing::get;
use axum::Json;
use serde::Serialize;

pub fn routes(r: Routes) -> Routes {
    r.api(
        "GET",
        "/api/v1/ledger/trial-balance",
        Access::Needs(VIEW),
        Doc::new("Every account with its balance (debits positive); the balances sum to zero")
            .ok::<TrialBalance>(),
        get(trial_balance),
    )
    .api(
        "GET",
        "/api/v1/ledger/vat",
        Access::Needs(VIEW),
        Doc::new("VAT and supplementary duty made payable, per Dhaka month").ok::<VatReport>(),
        get(vat),
    )
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TrialBalance {
    pub items: Vec<TrialRow>,
    /// Whether the balances sum to zero.
    pub balanced: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VatReport {
    pub items: Vec<VatMonth>,
}

async fn trial_balance(mut work: Work) -> Result<Json<TrialBalance>> {
    let (items, balanced) = service::trial_balance(&mut work).await?;
    Ok(Json(TrialBalance { items, balanced }))
}

async fn vat(mut work: Work) -> Result<Json<VatReport>> {
    Ok(Json(VatReport {
        items: service::vat_by_month(&mut work).await?,
    }))
}
