//! Reading the books for staff: the trial balance and the VAT payable, scoped by the work's
//! company. Posting is done by the domains whose documents cause it, through `store::post`.

use super::store::{self, TrialRow, VatMonth};
use crate::kernel::work::Work;
use crate::kernel::Result;

/// The trial balance and whether it sums to zero.
pub async fn trial_balance(work: &mut Work) -> Result<(Vec<TrialRow>, bool)> {
    let company = work.scope().company();
    let rows = store::trial_balance(work.db(), company).await?;
    let balanced = rows
        .iter()
        .map(|r| i128::from(r.balance_poisha))
        .sum::<i128>()
        == 0;
    Ok((rows, balanced))
}

pub async fn vat_by_month(work: &mut Work) -> Result<Vec<VatMonth>> {
    let company = work.scope().company();
    Ok(store::vat_by_month(work.db(), company).await?)
}
