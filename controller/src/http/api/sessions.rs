//! `/api/v1/sessions`: the PPPoE/hotspot session log — by subscriber, by username, and "who had
//! address X at time T" (what BTRC and the police ask an ISP). The page and the CSV export share
//! the parsing here.

use super::super::{Access, ApiError, ApiResult, AppState, Auth, Routes};
use crate::rbac::Permission;
use crate::store::fleet::{self, Session, SessionQuery};
use crate::store::SubscriberId;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Json;
use serde::{Deserialize, Serialize};

pub fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/api/v1/sessions",
        Access::Needs(Permission::SubscribersView),
        get(list),
    )
}

/// Query-string filters; `at` is a Dhaka time `YYYY-MM-DD HH:MM` (or `YYYY-MM-DDTHH:MM`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionParams {
    #[serde(default)]
    pub subscriber_id: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub at: String,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

impl SessionParams {
    pub fn query(&self) -> ApiResult<SessionQuery> {
        let subscriber = match self.subscriber_id.trim() {
            "" => None,
            id => Some(SubscriberId(id.parse().map_err(|_| {
                ApiError::field("subscriber_id", "sessions.bad_subscriber")
            })?)),
        };
        let at = match self.at.trim() {
            "" => None,
            text => Some(
                dhaka_datetime(text).ok_or_else(|| ApiError::field("at", "sessions.bad_time"))?,
            ),
        };
        let address = self.address.trim().to_owned();
        if !address.is_empty() && address.parse::<std::net::IpAddr>().is_err() {
            return Err(ApiError::field("address", "sessions.bad_address"));
        }
        Ok(SessionQuery {
            subscriber,
            username: self.username.trim().to_owned(),
            address,
            at,
        })
    }
}

/// `YYYY-MM-DD HH:MM[:SS]` in Asia/Dhaka → UTC milliseconds.
pub fn dhaka_datetime(text: &str) -> Option<i64> {
    let (date, time) = text.split_once([' ', 'T'])?;
    let day = crate::i18n::dhaka_day_start(date)?;
    let mut parts = time.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let s: i64 = parts.next().map_or(Some(0), |s| s.parse().ok())?;
    if !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..60).contains(&s)
        || parts.next().is_some()
    {
        return None;
    }
    Some(day + ((h * 60 + m) * 60 + s) * 1000)
}

#[derive(Serialize)]
pub struct List {
    items: Vec<Session>,
    next_before: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<SessionParams>,
) -> ApiResult<Json<List>> {
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let items = fleet::sessions(
        &state.store,
        &auth.tenant()?,
        &params.query()?,
        params.before,
        limit,
    )
    .await?;
    let next_before = (items.len() as i64 == limit)
        .then(|| items.last().map(|s| s.id))
        .flatten();
    Ok(Json(List { items, next_before }))
}

#[cfg(test)]
mod tests {
    use super::dhaka_datetime;

    #[test]
    fn dhaka_times_parse() {
        let t = dhaka_datetime("2026-11-26 00:30").unwrap();
        assert_eq!(crate::i18n::dhaka_time(t), "2026-11-26 00:30");
        assert_eq!(dhaka_datetime("2026-11-26T00:30:15").unwrap(), t + 15_000);
        assert_eq!(dhaka_datetime("2026-11-26 24:00"), None);
        assert_eq!(dhaka_datetime("2026-11-26"), None);
    }
}
