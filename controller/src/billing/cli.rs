//! `setu-controller billing run`: the run with a progress bar on standard error and a summary
//! at the end.

use super::service::parse_period;
use super::store;
use crate::kernel::ids::CompanyId;
use crate::kernel::scope::{Actor, Scope};
use crate::AppState;
use std::io::Write;

fn bar(done: i64, total: i64) -> String {
    let width = 30;
    let filled = if total > 0 {
        (done * width / total).clamp(0, width)
    } else {
        width
    };
    format!(
        "[{}{}] {done}/{total} subscriptions",
        "#".repeat(filled as usize),
        ".".repeat((width - filled) as usize)
    )
}

/// Runs `period` for `company`, or for every company with billing settings.
pub async fn run(
    state: &AppState,
    period: &str,
    company: Option<i64>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let period =
        parse_period(period).map_err(|_| anyhow::anyhow!("the period is YYYY-MM, e.g. 2026-12"))?;
    let companies: Vec<CompanyId> = match company {
        Some(id) => vec![CompanyId(id)],
        None => store::billed_companies(&mut *state.store.conn().await?)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    };
    if companies.is_empty() {
        anyhow::bail!("no company has billing settings yet");
    }
    for company in companies {
        let started = std::time::Instant::now();
        eprintln!(
            "company {company}, period {period}{}",
            if dry_run { " (dry run)" } else { "" }
        );
        let run = super::run::run(
            state,
            Scope::system(company),
            Actor::System("cli"),
            period,
            dry_run,
            |done, total| {
                let mut err = std::io::stderr();
                let _ = write!(err, "\r{}", bar(done, total));
                let _ = err.flush();
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("company {company}: {e}"))?;
        eprintln!();
        let summary: serde_json::Value = serde_json::from_str(&run.summary).unwrap_or_default();
        println!(
            "run {id}: {subs} subscriptions, {inv} invoices, {cn} credit notes, total {total}{dry}; \
             period {period}: {now} subscribers (previous {prev}); {new} new, {missing} no longer billed; {errors} errors; {secs:.1} s",
            id = run.id,
            subs = run.subscriptions,
            inv = run.invoices,
            cn = run.credit_notes,
            total = billing_core::words::taka_figures(run.total_poisha, billing_core::words::Lang::En),
            dry = if dry_run { " would be issued" } else { "" },
            now = summary["subscribers"],
            prev = summary["previous_subscribers"],
            new = summary["new_count"],
            missing = summary["missing_count"],
            errors = summary["errors"],
            secs = started.elapsed().as_secs_f64(),
        );
        if !run.errors.is_empty() {
            eprintln!("{}", run.errors);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bar_fills_with_progress() {
        assert_eq!(
            super::bar(0, 10),
            format!("[{}] 0/10 subscriptions", ".".repeat(30))
        );
        assert_eq!(
            super::bar(5, 10),
            format!("[{}{}] 5/10 subscriptions", "#".repeat(15), ".".repeat(15))
        );
        assert_eq!(
            super::bar(10, 10),
            format!("[{}] 10/10 subscriptions", "#".repeat(30))
        );
    }
}
