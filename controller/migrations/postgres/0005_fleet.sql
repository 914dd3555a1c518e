-- The fleet: POPs and their routers (each with an edge agent), plans and subscribers (the
-- minimum that drives a router), enrollment, the agents' message bookkeeping, the session log
-- and commands.
CREATE TABLE pops (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    branch_id BIGINT REFERENCES branches(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, name)
);

CREATE TABLE routers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    pop_id BIGINT NOT NULL REFERENCES pops(id),
    name TEXT NOT NULL,
    -- The agent's public name in MQTT topics and logins; random, so topics reveal no row ids.
    agent_id TEXT NOT NULL UNIQUE,
    -- Hex Ed25519 public key, set at enrollment; uplinks are verified against it.
    agent_public_key TEXT,
    enrolled_at BIGINT,
    revoked_at BIGINT,
    -- Bumped by every change that affects what the router should hold.
    desired_version BIGINT NOT NULL DEFAULT 1,
    applied_version BIGINT NOT NULL DEFAULT 0,
    online BIGINT NOT NULL DEFAULT 0,
    last_seen_at BIGINT,
    boot_id TEXT NOT NULL DEFAULT '',
    boot_seq BIGINT NOT NULL DEFAULT 0,
    agent_version TEXT NOT NULL DEFAULT '',
    routeros_version TEXT NOT NULL DEFAULT '',
    identity TEXT NOT NULL DEFAULT '',
    cpu_load BIGINT,
    free_memory BIGINT,
    total_memory BIGINT,
    uptime_secs BIGINT,
    sessions_online BIGINT NOT NULL DEFAULT 0,
    drift_json TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, name)
);
CREATE INDEX routers_company ON routers(company_id, id);

CREATE TABLE enrollment_tokens (
    token_hash TEXT PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    router_id BIGINT NOT NULL REFERENCES routers(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE plans (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    name TEXT NOT NULL,
    -- RouterOS rate numbers from the subscriber's side: 10M, 512k.
    download TEXT NOT NULL,
    upload TEXT NOT NULL,
    burst_download TEXT NOT NULL DEFAULT '',
    burst_upload TEXT NOT NULL DEFAULT '',
    price_poisha BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, name)
);

CREATE TABLE subscribers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    branch_id BIGINT REFERENCES branches(id),
    router_id BIGINT NOT NULL REFERENCES routers(id),
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    pppoe_username TEXT NOT NULL,
    pppoe_password TEXT NOT NULL,
    -- active | suspended | terminated
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (company_id, pppoe_username)
);
CREATE INDEX subscribers_company ON subscribers(company_id, id);
CREATE INDEX subscribers_router ON subscribers(router_id, id);

-- The signing key the controller's downlinks carry; one per installation, shared by replicas.
CREATE TABLE fleet_keys (
    id BIGINT PRIMARY KEY,
    pkcs8_hex TEXT NOT NULL,
    public_key_hex TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Every uplink stored once: (agent, boot, seq) is the idempotency key.
CREATE TABLE agent_messages (
    agent_id TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, boot_id, seq)
);

-- Per agent boot: the highest seq below which nothing is missing (what the ack carries).
CREATE TABLE agent_boots (
    agent_id TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    contiguous_seq BIGINT NOT NULL,
    max_seq BIGINT NOT NULL,
    gap_since BIGINT,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, boot_id)
);

-- PPPoE and hotspot sessions, for support and for BTRC's "who had this address then".
CREATE TABLE session_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL,
    router_id BIGINT NOT NULL,
    subscriber_id BIGINT,
    service TEXT NOT NULL,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    caller_id TEXT NOT NULL,
    router_session_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    bytes_in BIGINT,
    bytes_out BIGINT
);
CREATE INDEX session_log_address ON session_log(company_id, address, started_at);
CREATE INDEX session_log_subscriber ON session_log(company_id, subscriber_id, started_at);
CREATE INDEX session_log_open ON session_log(router_id, router_session_id);

CREATE TABLE fleet_commands (
    id TEXT PRIMARY KEY,
    company_id BIGINT NOT NULL,
    router_id BIGINT NOT NULL,
    action_json TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- issued | received | in_progress | succeeded | failed | rejected | expired
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);
CREATE INDEX fleet_commands_router ON fleet_commands(router_id, issued_at)
