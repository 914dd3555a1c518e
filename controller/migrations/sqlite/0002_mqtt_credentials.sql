-- Who may connect to the embedded MQTT broker. Passwords are random 256-bit tokens, so a
-- SHA-256 (hex) is enough to store them; argon2 would only slow every reconnect down.
CREATE TABLE mqtt_credentials (
    username TEXT PRIMARY KEY,
    password_sha256 TEXT NOT NULL,
    -- What the login is for: 'controller' today, agents with the fleet link.
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
