-- Tenancy by construction: composite foreign keys (company_id, x_id) REFERENCES x(company_id, id),
-- so no row can point at another company's branch, role, POP, router or plan; one audit hash
-- chain per company, with the actor and the branch of each entry; staff deactivation; the
-- agent's own session times kept beside the trusted ones; when a router's desired state last
-- changed (for the lagging-router view). The same change as the SQLite file, which has to
-- rebuild tables to get there.

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
ALTER TABLE branches ADD CONSTRAINT branches_company_key UNIQUE (company_id, id);
ALTER TABLE roles ADD CONSTRAINT roles_company_key UNIQUE (company_id, id);
ALTER TABLE pops ADD CONSTRAINT pops_company_key UNIQUE (company_id, id);
ALTER TABLE plans ADD CONSTRAINT plans_company_key UNIQUE (company_id, id);
DROP INDEX routers_company;
ALTER TABLE routers ADD CONSTRAINT routers_company_key UNIQUE (company_id, id);
DROP INDEX subscribers_company;
ALTER TABLE subscribers ADD CONSTRAINT subscribers_company_key UNIQUE (company_id, id);

ALTER TABLE memberships DROP CONSTRAINT memberships_role_id_fkey;
ALTER TABLE memberships DROP CONSTRAINT memberships_branch_id_fkey;
ALTER TABLE memberships ADD CONSTRAINT memberships_role_fk FOREIGN KEY (company_id, role_id) REFERENCES roles(company_id, id);
ALTER TABLE memberships ADD CONSTRAINT memberships_branch_fk FOREIGN KEY (company_id, branch_id) REFERENCES branches(company_id, id);

ALTER TABLE pops DROP CONSTRAINT pops_branch_id_fkey;
ALTER TABLE pops ADD CONSTRAINT pops_branch_fk FOREIGN KEY (company_id, branch_id) REFERENCES branches(company_id, id);

ALTER TABLE routers DROP CONSTRAINT routers_pop_id_fkey;
ALTER TABLE routers ADD CONSTRAINT routers_pop_fk FOREIGN KEY (company_id, pop_id) REFERENCES pops(company_id, id);
-- When desired_version last moved; with applied_version behind it, how long the router lags.
ALTER TABLE routers ADD COLUMN desired_at BIGINT;

ALTER TABLE enrollment_tokens DROP CONSTRAINT enrollment_tokens_router_id_fkey;
ALTER TABLE enrollment_tokens ADD CONSTRAINT enrollment_tokens_router_fk FOREIGN KEY (company_id, router_id) REFERENCES routers(company_id, id);

ALTER TABLE subscribers DROP CONSTRAINT subscribers_branch_id_fkey;
ALTER TABLE subscribers DROP CONSTRAINT subscribers_router_id_fkey;
ALTER TABLE subscribers DROP CONSTRAINT subscribers_plan_id_fkey;
ALTER TABLE subscribers ADD CONSTRAINT subscribers_branch_fk FOREIGN KEY (company_id, branch_id) REFERENCES branches(company_id, id);
ALTER TABLE subscribers ADD CONSTRAINT subscribers_router_fk FOREIGN KEY (company_id, router_id) REFERENCES routers(company_id, id);
ALTER TABLE subscribers ADD CONSTRAINT subscribers_plan_fk FOREIGN KEY (company_id, plan_id) REFERENCES plans(company_id, id);
ALTER TABLE subscribers ADD CONSTRAINT subscribers_status_check CHECK (status IN ('active', 'suspended', 'terminated'));
CREATE INDEX subscribers_branch ON subscribers(company_id, branch_id, id);

ALTER TABLE fleet_commands ADD CONSTRAINT fleet_commands_router_fk FOREIGN KEY (company_id, router_id) REFERENCES routers(company_id, id);

-- The session log keeps its rows when a subscriber or branch goes (BTRC retention), so those two
-- are plain columns; the router it came from is a real reference.
ALTER TABLE session_log ADD COLUMN branch_id BIGINT;
-- What the agent reported, kept as evidence whatever its clock said; started_at/ended_at are the
-- trusted times (the agent's when its clock was synced, else when the controller heard).
ALTER TABLE session_log ADD COLUMN agent_started_at BIGINT;
ALTER TABLE session_log ADD COLUMN agent_ended_at BIGINT;
UPDATE session_log SET agent_started_at = started_at, agent_ended_at = ended_at,
    branch_id = (SELECT p.branch_id FROM routers r JOIN pops p ON p.id = r.pop_id WHERE r.id = session_log.router_id);
ALTER TABLE session_log ADD CONSTRAINT session_log_router_fk FOREIGN KEY (company_id, router_id) REFERENCES routers(company_id, id);
CREATE INDEX session_log_company ON session_log(company_id, id);
CREATE INDEX session_log_ended ON session_log(ended_at);

-- Uplink bookkeeping is purged by age once acknowledged past.
CREATE INDEX agent_messages_received ON agent_messages(received_at);

-- One hash chain per company (chain = company id; 0 for entries of no company; -1 marks the
-- single installation-wide chain entries were written in before this migration).
ALTER TABLE audit_log ADD COLUMN chain BIGINT NOT NULL DEFAULT -1;
-- Who acted: 'user', 'token:<id>', 'agent:<router id>', 'system:<job>', or '' (nobody signed in).
ALTER TABLE audit_log ADD COLUMN actor TEXT NOT NULL DEFAULT '';
-- The branch the entry concerns (branch-limited staff see their branch's entries).
ALTER TABLE audit_log ADD COLUMN branch_id BIGINT;
DROP INDEX audit_chain;
CREATE UNIQUE INDEX audit_chain_link ON audit_log(chain, prev_hash);
CREATE INDEX audit_chain_order ON audit_log(chain, id);
CREATE INDEX audit_company_branch ON audit_log(company_id, branch_id, id);
-- Each chain's head; an append locks its chain's row only, so companies do not wait for each
-- other.
CREATE TABLE audit_chains (
    chain BIGINT PRIMARY KEY,
    last_hash TEXT NOT NULL,
    appends BIGINT NOT NULL
);
DROP TABLE audit_chain_lock;

-- Deactivated staff cannot sign in; their sessions and tokens are revoked.
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;

-- Failed sign-ins under names that are not accounts, counted like an account's own, so the
-- lockout answer is the same for a real and an unknown username. Keyed by SHA-256 of the name.
CREATE TABLE login_names (
    name_hash TEXT PRIMARY KEY,
    failed_logins BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);

-- Keys the installation keeps for itself (e.g. the one that binds the sign-in form's CSRF
-- token), made once and shared by replicas; hex.
CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY,
    value_hex TEXT NOT NULL,
    created_at BIGINT NOT NULL
)
