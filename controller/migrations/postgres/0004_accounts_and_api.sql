-- Second factor, API tokens, idempotency keys, per-IP login throttling, company settings, and
-- the audit chain's cross-replica lock.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
-- The last 30-second step a code was accepted for: a code works once.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- A password-checked login waiting for its TOTP code; never a usable session.
ALTER TABLE sessions ADD COLUMN mfa_pending BIGINT NOT NULL DEFAULT 0;

CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    -- SHA-256 of the token, which is shown once and never stored.
    token_hash TEXT NOT NULL UNIQUE,
    -- Space-separated permission names; the holder's current role still limits them.
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id, company_id);

-- The first response to a creating POST, replayed when the same key comes again.
CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL,
    idem_key TEXT NOT NULL,
    -- SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint TEXT NOT NULL,
    -- 0 while the first request is still running.
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_age ON idempotency_keys(created_at);

CREATE TABLE login_throttle (
    ip TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures BIGINT NOT NULL
);

ALTER TABLE companies ADD COLUMN legal_name TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN licence_no TEXT NOT NULL DEFAULT '';

-- Every append first updates this row, so appends from any number of replicas take turns; the
-- unique prev_hash makes a forked chain impossible even if that were bypassed.
CREATE TABLE audit_chain_lock (
    id BIGINT PRIMARY KEY,
    appends BIGINT NOT NULL
);
INSERT INTO audit_chain_lock (id, appends) VALUES (1, 0);
CREATE UNIQUE INDEX audit_chain ON audit_log(prev_hash);
CREATE INDEX audit_company_action ON audit_log(company_id, action, id)
