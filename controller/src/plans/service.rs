//! Plan operations. A change of speeds reaches the routers serving the plan in the same unit of
//! work as the change and its audit entry.

use super::store::{self, Plan, PlanFields};
use crate::kernel::db::StoreError;
use crate::kernel::http::extract::loose;
use crate::kernel::ids::PlanId;
use crate::kernel::money::Poisha;
use crate::kernel::validate::Checks;
use crate::kernel::work::{Change, Work};
use crate::kernel::{Error, Result};
use serde::Deserialize;

/// The fastest rate a plan may name: beyond it a typo (`9999999G`) is likelier than a plan.
const MAX_RATE_BPS: u64 = 100_000_000_000;

/// A plan as the API and the page send it. The price is `price_poisha` (an integer) or `price`
/// (taka as people write it, `1,200.50`, Bangla digits too).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub name: String,
    pub download: String,
    pub upload: String,
    #[serde(default)]
    pub burst_download: String,
    #[serde(default)]
    pub burst_upload: String,
    #[serde(default, deserialize_with = "loose::opt")]
    #[schema(value_type = Option<i64>)]
    pub price_poisha: Option<Poisha>,
    #[serde(default)]
    pub price: Option<String>,
}

/// Rates must be RouterOS numbers up to 100G; a burst needs both directions.
fn validated(input: &PlanInput) -> Result<PlanFields> {
    let mut checks = Checks::new();
    let name = checks.text("name", &input.name, 100);
    let mut rate = |field: &'static str, value: &str, optional: bool| {
        let value = value.trim().to_owned();
        if optional && value.is_empty() {
            return value;
        }
        match value.parse::<provisioning::Rate>() {
            Ok(r) if r.0 > MAX_RATE_BPS => checks.fail(field, "plans.rate_too_high"),
            Ok(r) if r.0 > 0 => {}
            _ => checks.fail(field, "plans.bad_rate"),
        }
        value
    };
    let download = rate("download", &input.download, false);
    let upload = rate("upload", &input.upload, false);
    let burst_download = rate("burst_download", &input.burst_download, true);
    let burst_upload = rate("burst_upload", &input.burst_upload, true);
    if burst_download.is_empty() != burst_upload.is_empty() {
        checks.fail("burst_upload", "plans.burst_pair");
    }
    let price = match (&input.price_poisha, input.price.as_deref().map(str::trim)) {
        (Some(p), _) => Some(*p),
        (None, Some(text)) if !text.is_empty() => Poisha::parse_taka(text),
        _ => None,
    };
    let price_poisha = match price {
        Some(p) if (0..=100_000_000).contains(&p.0) => p,
        _ => {
            checks.fail("price_poisha", "plans.bad_price");
            Poisha::ZERO
        }
    };
    checks.finish()?;
    Ok(PlanFields {
        name,
        download,
        upload,
        burst_download,
        burst_upload,
        price_poisha,
    })
}

pub async fn create(work: &mut Work, input: &PlanInput) -> Result<Plan> {
    let fields = validated(input)?;
    let plan = match store::create(work, &fields).await {
        Err(StoreError::Conflict) => return Err(Error::taken("name")),
        other => other?,
    };
    work.audit(Change::new(
        "plan.create",
        "plan",
        plan.id,
        serde_json::Value::Null,
        &plan,
    ))
    .await?;
    Ok(plan)
}

/// Changes a plan; every router serving a subscriber on it gets a new desired version.
pub async fn update(work: &mut Work, id: PlanId, input: &PlanInput) -> Result<Plan> {
    let fields = validated(input)?;
    let before = store::get(work, id).await?;
    let after = match store::update(work, id, &fields).await {
        Err(StoreError::Conflict) => return Err(Error::taken("name")),
        other => other?,
    };
    crate::fleet::service::plan_changed(work, id).await?;
    work.audit(Change::new("plan.update", "plan", id, &before, &after))
        .await?;
    Ok(after)
}
