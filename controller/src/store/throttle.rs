//! Failed logins counted per client address in fixed windows, shared by every replica (the
//! per-account lockout in `users` stops guessing one password; this stops spraying many).

use super::{get_i64, Result, Store};

/// Failures from `ip` in the window that contains `now` (0 when its window has passed).
pub async fn failures(store: &Store, ip: &str, now: i64, window_ms: i64) -> Result<i64> {
    let row = sqlx::query("SELECT window_start, failures FROM login_throttle WHERE ip = $1")
        .bind(ip)
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(row) if get_i64(&row, "window_start")? > now - window_ms => get_i64(&row, "failures")?,
        _ => 0,
    })
}

/// Counts one failure from `ip`; returns the count in the current window.
pub async fn record_failure(store: &Store, ip: &str, now: i64, window_ms: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO login_throttle (ip, window_start, failures) VALUES ($1, $2, 1)
         ON CONFLICT (ip) DO UPDATE SET
             failures = CASE WHEN login_throttle.window_start <= $3 THEN 1 ELSE login_throttle.failures + 1 END,
             window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 ELSE login_throttle.window_start END
         RETURNING failures",
    )
    .bind(ip)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(store.pool())
    .await?;
    get_i64(&row, "failures")
}
