-- The durable job queue: work the controller does by itself (billing runs, housekeeping, later
-- reminders and dunning). A job runs once across replicas: `(kind, dedupe_key)` is unique, a
-- worker claims a job by taking a lease, and a lease that expires (a crash) lets another worker
-- take it again. Handlers are idempotent, because a lease can expire while work completes.
CREATE TABLE jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- NULL for jobs of the whole installation (housekeeping).
    company_id BIGINT REFERENCES companies(id),
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    run_after BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT NOT NULL DEFAULT '',
    -- What the handler last said about itself ("4,000 of 20,000 subscriptions").
    progress TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    UNIQUE (kind, dedupe_key)
);
CREATE INDEX jobs_due ON jobs (state, run_after);
CREATE INDEX jobs_by_company ON jobs (company_id, id);
