//! Credentials for the embedded MQTT broker.

use super::{get_string, now_ms, Result, Store};

/// Creates or replaces a login. `password` should be a random token (see module docs of the
/// migration): only its SHA-256 is kept.
pub async fn upsert(store: &Store, username: &str, password: &str, kind: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO mqtt_credentials (username, password_sha256, kind, created_at, mosquitto_hash)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (username) DO UPDATE SET password_sha256 = $2, kind = $3, revoked_at = NULL,
             mosquitto_hash = $5",
    )
    .bind(username)
    .bind(crate::random::sha256_hex(password))
    .bind(kind)
    .bind(now_ms())
    .bind(crate::password::mosquitto_hash(password))
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Whether `username`/`password` is a live login.
pub async fn check(store: &Store, username: &str, password: &str) -> Result<bool> {
    let row = sqlx::query(
        "SELECT password_sha256 FROM mqtt_credentials WHERE username = $1 AND revoked_at IS NULL",
    )
    .bind(username)
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(false) };
    let stored = get_string(&row, "password_sha256")?;
    let offered = crate::random::sha256_hex(password);
    Ok(crate::random::constant_time_eq(
        stored.as_bytes(),
        offered.as_bytes(),
    ))
}

pub async fn revoke(store: &Store, username: &str) -> Result<()> {
    sqlx::query("UPDATE mqtt_credentials SET revoked_at = $1 WHERE username = $2")
        .bind(now_ms())
        .bind(username)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Live logins as Mosquitto password-file lines (`username:$7$…`), agents only: the
/// controller's own login comes from its configuration.
pub async fn mosquitto_lines(store: &Store) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT username, mosquitto_hash FROM mqtt_credentials
         WHERE revoked_at IS NULL AND kind = 'agent' AND mosquitto_hash <> '' ORDER BY username",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(format!(
                "{}:{}",
                get_string(r, "username")?,
                get_string(r, "mosquitto_hash")?
            ))
        })
        .collect()
}
