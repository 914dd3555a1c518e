//! `/api/v1/audit`: the company's audit log, filtered; the page and its CSV export share the
//! query parsing here.

use super::VIEW;
use crate::kernel::audit::{self, Entry, Filter};
use crate::kernel::date::{day_start_ms, parse_date};
use crate::kernel::http::extract::ApiQuery;
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::http::{Access, Doc, Routes};
use crate::kernel::ids::UserId;
use crate::kernel::work::Work;
use crate::kernel::{Error, Result};
use axum::routing::get;
use axum::Json;
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.api(
        "GET",
        "/api/v1/audit",
        Access::Needs(VIEW),
        Doc::new("The audit log, newest first, filtered")
            .query::<AuditQuery>()
            .list::<Entry>(),
        get(list),
    )
}

/// The filter as it arrives in a query string; every field optional, dates are Dhaka days.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Action prefix, e.g. `auth.` (taken literally).
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub entity_id: String,
    /// A staff user's id.
    #[serde(default)]
    pub actor: String,
    /// First day shown (`YYYY-MM-DD`, Asia/Dhaka).
    #[serde(default)]
    pub from: String,
    /// Last day shown, inclusive.
    #[serde(default)]
    pub until: String,
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
    /// 1 to 500; 50 when absent.
    pub limit: Option<i64>,
}

impl AuditQuery {
    pub fn filter(&self) -> Result<Filter> {
        let day = |field: &'static str, text: &str| -> Result<Option<jiff::civil::Date>> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            parse_date(text)
                .map(Some)
                .ok_or_else(|| Error::field(field, "audit.bad_date"))
        };
        let actor = match self.actor.trim() {
            "" => None,
            id => Some(
                id.parse::<UserId>()
                    .map_err(|_| Error::field("actor", "audit.bad_actor"))?,
            ),
        };
        let until = day("until", &self.until)?.map(|d| d.tomorrow().map_or(i64::MAX, day_start_ms));
        Ok(Filter {
            action_prefix: self.action.trim().to_owned(),
            entity: self.entity.trim().to_owned(),
            entity_id: self.entity_id.trim().to_owned(),
            actor,
            from: day("from", &self.from)?.map(day_start_ms),
            until,
        })
    }

    pub fn page(&self) -> PageQuery {
        PageQuery {
            before: self.before,
            limit: self.limit,
            ..PageQuery::default()
        }
    }
}

async fn list(mut work: Work, ApiQuery(q): ApiQuery<AuditQuery>) -> Result<Json<Paged<Entry>>> {
    let filter = q.filter()?;
    let scope = work.scope();
    let viewer = work.actor().user();
    Ok(Json(
        audit::list(work.db(), &scope, viewer, &filter, &q.page()).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_dates_are_field_errors() {
        let q = AuditQuery {
            from: "2026-02-30".into(),
            ..AuditQuery::default()
        };
        assert!(matches!(q.filter(), Err(Error::Validation(f)) if f[0].field == "from"));
        let q = AuditQuery {
            until: "2026-11-25".into(),
            ..AuditQuery::default()
        };
        let f = q.filter().unwrap();
        assert_eq!(
            f.until,
            Some(day_start_ms(parse_date("2026-11-26").unwrap()))
        );
    }
}
