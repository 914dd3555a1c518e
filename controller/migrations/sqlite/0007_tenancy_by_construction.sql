-- Tenancy by construction: composite foreign keys (company_id, x_id) REFERENCES x(company_id, id),
-- so no row can point at another company's branch, role, POP, router or plan; one audit hash
-- chain per company, with the actor and the branch of each entry; staff deactivation; the
-- agent's own session times kept beside the trusted ones; when a router's desired state last
-- changed (for the lagging-router view).
--
-- SQLite cannot add a constraint to a table, so the child tables are rebuilt (create the new
-- table, copy, drop the old, rename); the runner switches foreign keys off around this and runs
-- `PRAGMA foreign_key_check` before committing.

-- References across companies (possible before this migration, and a defect) are dropped, not
-- carried into the new constraints.
UPDATE subscribers SET branch_id = NULL WHERE branch_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM branches b WHERE b.id = subscribers.branch_id AND b.company_id = subscribers.company_id);
UPDATE pops SET branch_id = NULL WHERE branch_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM branches b WHERE b.id = pops.branch_id AND b.company_id = pops.company_id);
UPDATE memberships SET branch_id = NULL WHERE branch_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM branches b WHERE b.id = memberships.branch_id AND b.company_id = memberships.company_id);

-- The keys composite references point at.
DROP INDEX branches_company_id;
CREATE UNIQUE INDEX branches_company_key ON branches(company_id, id);
CREATE UNIQUE INDEX roles_company_key ON roles(company_id, id);
CREATE UNIQUE INDEX plans_company_key ON plans(company_id, id);

CREATE TABLE memberships_new (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    role_id INTEGER NOT NULL,
    branch_id INTEGER,
    UNIQUE (company_id, user_id),
    CONSTRAINT memberships_role_fk FOREIGN KEY (company_id, role_id) REFERENCES roles(company_id, id),
    CONSTRAINT memberships_branch_fk FOREIGN KEY (company_id, branch_id) REFERENCES branches(company_id, id)
);
INSERT INTO memberships_new (id, company_id, user_id, role_id, branch_id)
    SELECT id, company_id, user_id, role_id, branch_id FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;

CREATE TABLE pops_new (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    branch_id INTEGER,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, name),
    UNIQUE (company_id, id),
    CONSTRAINT pops_branch_fk FOREIGN KEY (company_id, branch_id) REFERENCES branches(company_id, id)
);
INSERT INTO pops_new (id, company_id, branch_id, name, created_at)
    SELECT id, company_id, branch_id, name, created_at FROM pops;
DROP TABLE pops;
ALTER TABLE pops_new RENAME TO pops;

CREATE TABLE routers_new (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    pop_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    agent_id TEXT NOT NULL UNIQUE,
    agent_public_key TEXT,
    enrolled_at INTEGER,
    revoked_at INTEGER,
    desired_version INTEGER NOT NULL DEFAULT 1,
    -- When desired_version last moved; with applied_version behind it, how long the router lags.
    desired_at INTEGER,
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
    interfaces_json TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, name),
    UNIQUE (company_id, id),
    CONSTRAINT routers_pop_fk FOREIGN KEY (company_id, pop_id) REFERENCES pops(company_id, id)
);
INSERT INTO routers_new (id, company_id, pop_id, name, agent_id, agent_public_key, enrolled_at, revoked_at,
        desired_version, applied_version, online, last_seen_at, boot_id, boot_seq, agent_version,
        routeros_version, identity, cpu_load, free_memory, total_memory, uptime_secs, sessions_online,
        drift_json, interfaces_json, created_at)
    SELECT id, company_id, pop_id, name, agent_id, agent_public_key, enrolled_at, revoked_at,
        desired_version, applied_version, online, last_seen_at, boot_id, boot_seq, agent_version,
        routeros_version, identity, cpu_load, free_memory, total_memory, uptime_secs, sessions_online,
        drift_json, interfaces_json, created_at FROM routers;
DROP TABLE routers;
ALTER TABLE routers_new RENAME TO routers;

CREATE TABLE enrollment_tokens_new (
    token_hash TEXT PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    router_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    CONSTRAINT enrollment_tokens_router_fk FOREIGN KEY (company_id, router_id) REFERENCES routers(company_id, id)
);
INSERT INTO enrollment_tokens_new (token_hash, company_id, router_id, created_at, expires_at, used_at)
    SELECT token_hash, company_id, router_id, created_at, expires_at, used_at FROM enrollment_tokens;
DROP TABLE enrollment_tokens;
ALTER TABLE enrollment_tokens_new RENAME TO enrollment_tokens;

CREATE TABLE subscribers_new (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    branch_id INTEGER,
    router_id INTEGER NOT NULL,
    plan_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    pppoe_username TEXT NOT NULL,
    pppoe_password TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'terminated')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (company_id, pppoe_username),
    UNIQUE (company_id, id),
    CONSTRAINT subscribers_branch_fk FOREIGN KEY (company_id, branch_id) REFERENCES branches(company_id, id),
    CONSTRAINT subscribers_router_fk FOREIGN KEY (company_id, router_id) REFERENCES routers(company_id, id),
    CONSTRAINT subscribers_plan_fk FOREIGN KEY (company_id, plan_id) REFERENCES plans(company_id, id)
);
INSERT INTO subscribers_new (id, company_id, branch_id, router_id, plan_id, name, phone, pppoe_username,
        pppoe_password, status, created_at, updated_at)
    SELECT id, company_id, branch_id, router_id, plan_id, name, phone, pppoe_username, pppoe_password,
        status, created_at, updated_at FROM subscribers;
DROP TABLE subscribers;
ALTER TABLE subscribers_new RENAME TO subscribers;
CREATE INDEX subscribers_router ON subscribers(router_id, id);
CREATE INDEX subscribers_branch ON subscribers(company_id, branch_id, id);

CREATE TABLE fleet_commands_new (
    id TEXT PRIMARY KEY,
    company_id INTEGER NOT NULL,
    router_id INTEGER NOT NULL,
    action_json TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    CONSTRAINT fleet_commands_router_fk FOREIGN KEY (company_id, router_id) REFERENCES routers(company_id, id)
);
INSERT INTO fleet_commands_new (id, company_id, router_id, action_json, issued_at, expires_at, state, detail, updated_at)
    SELECT id, company_id, router_id, action_json, issued_at, expires_at, state, detail, updated_at FROM fleet_commands;
DROP TABLE fleet_commands;
ALTER TABLE fleet_commands_new RENAME TO fleet_commands;
CREATE INDEX fleet_commands_router ON fleet_commands(router_id, issued_at);

-- The session log keeps its rows when a subscriber or branch goes (BTRC retention), so those two
-- are plain columns; the router it came from is a real reference.
CREATE TABLE session_log_new (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL,
    branch_id INTEGER,
    router_id INTEGER NOT NULL,
    subscriber_id INTEGER,
    service TEXT NOT NULL,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    caller_id TEXT NOT NULL,
    router_session_id TEXT NOT NULL,
    -- Trusted times: the agent's when its clock was synced, else when the controller heard.
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    -- What the agent reported, kept as evidence whatever its clock said.
    agent_started_at INTEGER,
    agent_ended_at INTEGER,
    bytes_in INTEGER,
    bytes_out INTEGER,
    CONSTRAINT session_log_router_fk FOREIGN KEY (company_id, router_id) REFERENCES routers(company_id, id)
);
INSERT INTO session_log_new (id, company_id, branch_id, router_id, subscriber_id, service, username, address,
        caller_id, router_session_id, started_at, ended_at, agent_started_at, agent_ended_at, bytes_in, bytes_out)
    SELECT s.id, s.company_id, (SELECT p.branch_id FROM routers r JOIN pops p ON p.id = r.pop_id WHERE r.id = s.router_id),
        s.router_id, s.subscriber_id, s.service, s.username, s.address, s.caller_id, s.router_session_id,
        s.started_at, s.ended_at, s.started_at, s.ended_at, s.bytes_in, s.bytes_out FROM session_log s;
DROP TABLE session_log;
ALTER TABLE session_log_new RENAME TO session_log;
CREATE INDEX session_log_address ON session_log(company_id, address, started_at);
CREATE INDEX session_log_subscriber ON session_log(company_id, subscriber_id, started_at);
CREATE INDEX session_log_open ON session_log(router_id, router_session_id);
CREATE INDEX session_log_company ON session_log(company_id, id);
CREATE INDEX session_log_ended ON session_log(ended_at);

-- Uplink bookkeeping is purged by age once acknowledged past.
CREATE INDEX agent_messages_received ON agent_messages(received_at);

-- One hash chain per company (chain = company id; 0 for entries of no company; -1 marks the
-- single installation-wide chain entries were written in before this migration).
ALTER TABLE audit_log ADD COLUMN chain INTEGER NOT NULL DEFAULT -1;
-- Who acted: 'user', 'token:<id>', 'agent:<router id>', 'system:<job>', or '' (nobody signed in).
ALTER TABLE audit_log ADD COLUMN actor TEXT NOT NULL DEFAULT '';
-- The branch the entry concerns (branch-limited staff see their branch's entries).
ALTER TABLE audit_log ADD COLUMN branch_id INTEGER;
DROP INDEX audit_chain;
CREATE UNIQUE INDEX audit_chain_link ON audit_log(chain, prev_hash);
CREATE INDEX audit_chain_order ON audit_log(chain, id);
CREATE INDEX audit_company_branch ON audit_log(company_id, branch_id, id);
-- Each chain's head; an append locks its chain's row only, so companies do not wait for each
-- other.
CREATE TABLE audit_chains (
    chain INTEGER PRIMARY KEY,
    last_hash TEXT NOT NULL,
    appends INTEGER NOT NULL
);
DROP TABLE audit_chain_lock;

-- Deactivated staff cannot sign in; their sessions and tokens are revoked.
ALTER TABLE users ADD COLUMN deactivated_at INTEGER;

-- Failed sign-ins under names that are not accounts, counted like an account's own, so the
-- lockout answer is the same for a real and an unknown username. Keyed by SHA-256 of the name.
CREATE TABLE login_names (
    name_hash TEXT PRIMARY KEY,
    failed_logins INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);

-- Keys the installation keeps for itself (e.g. the one that binds the sign-in form's CSRF
-- token), made once and shared by replicas; hex.
CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY,
    value_hex TEXT NOT NULL,
    created_at INTEGER NOT NULL
)
