-- The fleet: POPs and their routers (each with an edge agent), plans and subscribers (the
-- minimum that drives a router), enrollment, the agents' message bookkeeping, the session log
-- and commands.
CREATE TABLE pops (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    branch_id INTEGER REFERENCES branches(id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, name)
);

CREATE TABLE routers (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    pop_id INTEGER NOT NULL REFERENCES pops(id),
    name TEXT NOT NULL,
    -- The agent's public name in MQTT topics and logins; random, so topics reveal no row ids.
    agent_id TEXT NOT NULL UNIQUE,
    -- Hex Ed25519 public key, set at enrollment; uplinks are verified against it.
    agent_public_key TEXT,
    enrolled_at INTEGER,
    revoked_at INTEGER,
    -- Bumped by every change that affects what the router should hold.
    desired_version INTEGER NOT NULL DEFAULT 1,
    applied_version INTEGER NOT NULL DEFAULT 0,
    online INTEGER NOT NULL DEFAULT 0,
    last_seen_at INTEGER,
    boot_id TEXT NOT NULL DEFAULT '',
    boot_seq INTEGER NOT NULL DEFAULT 0,
    agent_version TEXT NOT NULL DEFAULT '',
    routeros_version TEXT NOT NULL DEFAULT '',
    identity TEXT NOT NULL DEFAULT '',
    cpu_load INTEGER,
    free_memory INTEGER,
    total_memory INTEGER,
    uptime_secs INTEGER,
    sessions_online INTEGER NOT NULL DEFAULT 0,
    drift_json TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, name)
);
CREATE INDEX routers_company ON routers(company_id, id);

CREATE TABLE enrollment_tokens (
    token_hash TEXT PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    router_id INTEGER NOT NULL REFERENCES routers(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    name TEXT NOT NULL,
    -- RouterOS rate numbers from the subscriber's side: 10M, 512k.
    download TEXT NOT NULL,
    upload TEXT NOT NULL,
    burst_download TEXT NOT NULL DEFAULT '',
    burst_upload TEXT NOT NULL DEFAULT '',
    price_poisha INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, name)
);

CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    branch_id INTEGER REFERENCES branches(id),
    router_id INTEGER NOT NULL REFERENCES routers(id),
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    pppoe_username TEXT NOT NULL,
    pppoe_password TEXT NOT NULL,
    -- active | suspended | terminated
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (company_id, pppoe_username)
);
CREATE INDEX subscribers_company ON subscribers(company_id, id);
CREATE INDEX subscribers_router ON subscribers(router_id, id);

-- The signing key the controller's downlinks carry; one per installation, shared by replicas.
CREATE TABLE fleet_keys (
    id INTEGER PRIMARY KEY,
    pkcs8_hex TEXT NOT NULL,
    public_key_hex TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Every uplink stored once: (agent, boot, seq) is the idempotency key.
CREATE TABLE agent_messages (
    agent_id TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, boot_id, seq)
);

-- Per agent boot: the highest seq below which nothing is missing (what the ack carries).
CREATE TABLE agent_boots (
    agent_id TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    contiguous_seq INTEGER NOT NULL,
    max_seq INTEGER NOT NULL,
    gap_since INTEGER,
    last_seen_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, boot_id)
);

-- PPPoE and hotspot sessions, for support and for BTRC's "who had this address then".
CREATE TABLE session_log (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL,
    router_id INTEGER NOT NULL,
    subscriber_id INTEGER,
    service TEXT NOT NULL,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    caller_id TEXT NOT NULL,
    router_session_id TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    bytes_in INTEGER,
    bytes_out INTEGER
);
CREATE INDEX session_log_address ON session_log(company_id, address, started_at);
CREATE INDEX session_log_subscriber ON session_log(company_id, subscriber_id, started_at);
CREATE INDEX session_log_open ON session_log(router_id, router_session_id);

CREATE TABLE fleet_commands (
    id TEXT PRIMARY KEY,
    company_id INTEGER NOT NULL,
    router_id INTEGER NOT NULL,
    action_json TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    -- issued | received | in_progress | succeeded | failed | rejected | expired
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);
CREATE INDEX fleet_commands_router ON fleet_commands(router_id, issued_at)
