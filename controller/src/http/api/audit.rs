//! `/api/v1/audit`: the company's audit log, filtered; the page and its CSV export share the
//! query parsing here.

use super::super::{Access, ApiError, ApiResult, AppState, Auth, Routes};
use crate::i18n::dhaka_day_start;
use crate::rbac::Permission;
use crate::store::audit::{self, Entry, Filter};
use crate::store::UserId;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Json;
use serde::{Deserialize, Serialize};

pub fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/api/v1/audit",
        Access::Needs(Permission::AuditView),
        get(list),
    )
}

/// The filter as it arrives in a query string; every field optional, dates are Dhaka days.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub entity_id: String,
    #[serde(default)]
    pub actor: String,
    /// First day shown (`YYYY-MM-DD`, Asia/Dhaka).
    #[serde(default)]
    pub from: String,
    /// Last day shown, inclusive.
    #[serde(default)]
    pub until: String,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

impl AuditQuery {
    pub fn filter(&self) -> ApiResult<Filter> {
        let day = |field: &'static str, text: &str| -> ApiResult<Option<i64>> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            dhaka_day_start(text)
                .map(Some)
                .ok_or_else(|| ApiError::field(field, "audit.bad_date"))
        };
        let actor = match self.actor.trim() {
            "" => None,
            id => Some(UserId(
                id.parse()
                    .map_err(|_| ApiError::field("actor", "audit.bad_actor"))?,
            )),
        };
        Ok(Filter {
            action_prefix: self.action.trim().to_owned(),
            entity: self.entity.trim().to_owned(),
            entity_id: self.entity_id.trim().to_owned(),
            actor,
            from: day("from", &self.from)?,
            until: day("until", &self.until)?.map(|start| start + 86_400_000),
        })
    }
}

#[derive(Serialize)]
pub struct List {
    items: Vec<Entry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    next_before: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<List>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let items = audit::list(&state.store, &auth.tenant()?, &q.filter()?, q.before, limit).await?;
    let next_before = (items.len() as i64 == limit)
        .then(|| items.last().map(|e| e.id))
        .flatten();
    Ok(Json(List { items, next_before }))
}

/// Most rows one export holds; narrow the filter for more.
pub const EXPORT_MAX_ROWS: usize = 100_000;

/// A CSV download: UTF-8 with a BOM (so spreadsheet programs show Bangla), cells quoted where
/// needed, and text a spreadsheet would run as a formula prefixed with `'`.
pub(crate) struct Csv(String);

impl Csv {
    pub fn new(columns: &[&str]) -> Csv {
        Csv(format!("\u{feff}{}\r\n", columns.join(",")))
    }

    pub fn row(&mut self, cells: &[String]) {
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        self.0.push_str(&line.join(","));
        self.0.push_str("\r\n");
    }

    pub fn download(self, filename: &str) -> axum::response::Response {
        use axum::http::header;
        use axum::response::IntoResponse;
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
            ],
            self.0,
        )
            .into_response()
    }
}

/// The matching entries, newest first, as CSV.
pub async fn export_csv(state: &AppState, auth: &Auth, q: &AuditQuery) -> ApiResult<Csv> {
    let tenant = auth.tenant()?;
    let filter = q.filter()?;
    let mut out = Csv::new(&[
        "id",
        "time_dhaka",
        "actor_user_id",
        "action",
        "entity",
        "entity_id",
        "ip",
        "user_agent",
        "before",
        "after",
        "hash",
    ]);
    let mut before = q.before;
    let mut rows = 0;
    while rows < EXPORT_MAX_ROWS {
        let page = audit::list(&state.store, &tenant, &filter, before, 1000).await?;
        for e in &page {
            let cells = [
                e.id.to_string(),
                crate::i18n::dhaka_time(e.at),
                e.actor_user_id.map_or(String::new(), |u| u.to_string()),
                e.action.clone(),
                e.entity.clone(),
                e.entity_id.clone(),
                e.ip.clone(),
                e.user_agent.clone(),
                e.before.to_string(),
                e.after.to_string(),
                e.hash.clone(),
            ];
            out.row(&cells);
        }
        rows += page.len();
        match page.last() {
            Some(last) if page.len() == 1000 => before = Some(last.id),
            _ => break,
        }
    }
    Ok(out)
}

fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("branch.create"), "branch.create");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-1"), "'-1");
    }

    #[test]
    fn bad_dates_are_field_errors() {
        let q = AuditQuery {
            from: "2026-02-30".into(),
            ..AuditQuery::default()
        };
        assert!(matches!(q.filter(), Err(ApiError::Validation(f)) if f[0].field == "from"));
        let q = AuditQuery {
            until: "2026-11-25".into(),
            ..AuditQuery::default()
        };
        let f = q.filter().unwrap();
        assert_eq!(f.until, dhaka_day_start("2026-11-26"));
    }
}
