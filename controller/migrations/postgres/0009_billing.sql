-- Billing: subscriptions and their dated history, billing settings and effective-dated tax
-- rates, invoices and credit notes with their lines, gap-free number series, billing runs, and
-- the double-entry ledger every money movement is posted to.

-- What a company says about itself on a tax invoice (Mushak-6.3): its VAT registration number.
ALTER TABLE companies ADD COLUMN bin TEXT NOT NULL DEFAULT '';

CREATE TABLE billing_settings (
    company_id BIGINT PRIMARY KEY REFERENCES companies(id),
    -- 'fixed': every subscription's period starts on billing_day; 'anniversary': on its start day.
    cycle TEXT NOT NULL CHECK (cycle IN ('fixed', 'anniversary')),
    billing_day BIGINT NOT NULL CHECK (billing_day BETWEEN 1 AND 28),
    timing TEXT NOT NULL CHECK (timing IN ('prepaid', 'postpaid')),
    -- The day of the period an invoice is due on (10: the 10th day).
    due_day BIGINT NOT NULL CHECK (due_day BETWEEN 1 AND 28),
    -- Days a billing run's invoices stay drafts before they are finalised (0: at once).
    preview_days BIGINT NOT NULL CHECK (preview_days BETWEEN 0 AND 30),
    rounding TEXT NOT NULL CHECK (rounding IN ('poisha', 'taka')),
    -- A number series per branch (Rule 40 allows one per location) instead of one per company.
    series_per_branch BIGINT NOT NULL CHECK (series_per_branch IN (0, 1)),
    -- How to pay, printed on invoices.
    bkash_number TEXT NOT NULL,
    payment_note TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE tax_rates (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    kind TEXT NOT NULL CHECK (kind IN ('vat', 'sd')),
    -- Basis points: 500 = 5.00 %.
    rate_bp BIGINT NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX tax_rates_by_company ON tax_rates (company_id, kind, valid_from);

CREATE TABLE subscriptions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    subscriber_id BIGINT NOT NULL,
    -- The plan it started on; later plans are `plan_change` events.
    plan_id BIGINT NOT NULL,
    -- Dhaka calendar dates, YYYY-MM-DD.
    starts_on TEXT NOT NULL,
    -- Set by a termination (the event keeps the history).
    ends_on TEXT,
    -- Its plan is the one the router enforces (the subscription made with the subscriber).
    is_primary BIGINT NOT NULL CHECK (is_primary IN (0, 1)),
    -- Instead of the plan's price, and a monthly amount off until a day.
    price_override_poisha BIGINT CHECK (price_override_poisha >= 0),
    discount_poisha BIGINT NOT NULL DEFAULT 0 CHECK (discount_poisha >= 0),
    discount_until TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, id),
    CHECK (ends_on IS NULL OR ends_on >= starts_on),
    CONSTRAINT subscriptions_subscriber_fk FOREIGN KEY (company_id, subscriber_id) REFERENCES subscribers(company_id, id),
    CONSTRAINT subscriptions_plan_fk FOREIGN KEY (company_id, plan_id) REFERENCES plans(company_id, id)
);
CREATE INDEX subscriptions_by_subscriber ON subscriptions (company_id, subscriber_id);
CREATE INDEX subscriptions_by_company ON subscriptions (company_id, id);

-- Dated changes, never overwrites: plan changes, staff-approved pauses, terminations.
CREATE TABLE subscription_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    subscription_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('plan_change', 'pause', 'termination')),
    effective_on TEXT NOT NULL,
    -- A pause's last day.
    until_on TEXT,
    -- A plan change's new plan.
    plan_id BIGINT,
    note TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT subscription_events_subscription_fk FOREIGN KEY (company_id, subscription_id) REFERENCES subscriptions(company_id, id),
    CONSTRAINT subscription_events_plan_fk FOREIGN KEY (company_id, plan_id) REFERENCES plans(company_id, id)
);
CREATE INDEX subscription_events_by_subscription ON subscription_events (subscription_id, effective_on);

CREATE TABLE billing_runs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    period TEXT NOT NULL,
    dry_run BIGINT NOT NULL CHECK (dry_run IN (0, 1)),
    actor TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    subscriptions BIGINT NOT NULL DEFAULT 0,
    invoices BIGINT NOT NULL DEFAULT 0,
    credit_notes BIGINT NOT NULL DEFAULT 0,
    total_poisha BIGINT NOT NULL DEFAULT 0,
    errors TEXT NOT NULL DEFAULT '',
    -- JSON: totals per plan and the comparison with the previous period.
    summary TEXT NOT NULL DEFAULT '{}',
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    UNIQUE (company_id, id)
);
CREATE INDEX billing_runs_by_period ON billing_runs (company_id, period, id);

CREATE TABLE invoices (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    branch_id BIGINT,
    subscriber_id BIGINT NOT NULL,
    subscription_id BIGINT,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'finalised', 'voided')),
    -- The billing period (YYYY-MM) the document belongs to; NULL for one-time charges.
    period TEXT,
    reason TEXT NOT NULL,
    -- Exactly once: '<subscription>/<period>/<reason>[/<event>]'; released when voided so a
    -- corrected document may be issued.
    dedupe_key TEXT,
    series TEXT,
    seq BIGINT,
    number TEXT,
    issued_at BIGINT,
    due_on TEXT,
    -- A credit note's invoice.
    credit_of BIGINT,
    billing_run_id BIGINT,
    net_poisha BIGINT NOT NULL,
    sd_poisha BIGINT NOT NULL,
    vat_poisha BIGINT NOT NULL,
    rounding_poisha BIGINT NOT NULL,
    total_poisha BIGINT NOT NULL CHECK (total_poisha >= 0),
    -- Mushak-6.3: who sells and who buys, as they were when the document was made.
    seller_name TEXT NOT NULL,
    seller_address TEXT NOT NULL,
    seller_bin TEXT NOT NULL,
    buyer_name TEXT NOT NULL,
    buyer_phone TEXT NOT NULL,
    buyer_address TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    -- Unguessable, for the payment page the QR code opens.
    public_token TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    finalised_at BIGINT,
    voided_at BIGINT,
    void_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (company_id, id),
    UNIQUE (company_id, dedupe_key),
    UNIQUE (company_id, series, seq),
    CHECK ((status = 'draft') = (number IS NULL)),
    CONSTRAINT invoices_branch_fk FOREIGN KEY (company_id, branch_id) REFERENCES branches(company_id, id),
    CONSTRAINT invoices_subscriber_fk FOREIGN KEY (company_id, subscriber_id) REFERENCES subscribers(company_id, id),
    CONSTRAINT invoices_subscription_fk FOREIGN KEY (company_id, subscription_id) REFERENCES subscriptions(company_id, id),
    CONSTRAINT invoices_credit_of_fk FOREIGN KEY (company_id, credit_of) REFERENCES invoices(company_id, id),
    CONSTRAINT invoices_run_fk FOREIGN KEY (company_id, billing_run_id) REFERENCES billing_runs(company_id, id)
);
CREATE INDEX invoices_by_subscriber ON invoices (company_id, subscriber_id, id);
CREATE INDEX invoices_by_subscription ON invoices (subscription_id, period);
CREATE INDEX invoices_by_company ON invoices (company_id, id);
CREATE INDEX invoices_by_period ON invoices (company_id, period, id);

CREATE TABLE invoice_lines (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    invoice_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    subscription_id BIGINT,
    -- 'plan' (item_ref = plan id), 'discount' (item_ref = subscription id), 'one_time', and
    -- 'adjustment' (a staff credit: item_ref = the plan it earned for; no days).
    item_kind TEXT NOT NULL CHECK (item_kind IN ('plan', 'discount', 'one_time', 'adjustment')),
    item_ref BIGINT NOT NULL,
    -- For one-time charges: connection_fee, reconnection_fee, equipment, late_fee, other.
    category TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price_poisha BIGINT NOT NULL,
    from_on TEXT,
    to_on TEXT,
    monthly_poisha BIGINT NOT NULL DEFAULT 0,
    -- What the line does to the days it covers: 1 bills them, -1 credits them.
    effect BIGINT NOT NULL CHECK (effect IN (1, -1)),
    -- As the document shows them (a credit note shows positive amounts).
    net_poisha BIGINT NOT NULL,
    sd_rate_bp BIGINT NOT NULL,
    sd_poisha BIGINT NOT NULL,
    vat_rate_bp BIGINT NOT NULL,
    vat_poisha BIGINT NOT NULL,
    total_poisha BIGINT NOT NULL,
    -- A credit's original line.
    credits_line_id BIGINT REFERENCES invoice_lines(id),
    UNIQUE (invoice_id, position),
    CONSTRAINT invoice_lines_invoice_fk FOREIGN KEY (company_id, invoice_id) REFERENCES invoices(company_id, id)
);
CREATE INDEX invoice_lines_by_subscription ON invoice_lines (subscription_id);

-- The next number of each series, taken under the row's lock when a document is finalised, in
-- the same transaction: a rollback gives the number back, so a series has no gaps.
CREATE TABLE number_series (
    company_id BIGINT NOT NULL REFERENCES companies(id),
    series TEXT NOT NULL,
    next_seq BIGINT NOT NULL,
    PRIMARY KEY (company_id, series)
);

CREATE TABLE accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    code TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_bn TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('asset', 'liability', 'income', 'expense')),
    UNIQUE (company_id, code),
    UNIQUE (company_id, id)
);

CREATE TABLE journal_entries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    -- The Dhaka business day it counts on.
    posted_on TEXT NOT NULL,
    posted_at BIGINT NOT NULL,
    -- What caused it: 'invoice', 'credit_note', 'void', 'advance' (an advance consumed), and
    -- the payments issue's kinds.
    kind TEXT NOT NULL,
    document_id BIGINT NOT NULL,
    memo TEXT NOT NULL,
    actor TEXT NOT NULL,
    UNIQUE (company_id, id),
    UNIQUE (company_id, kind, document_id)
);
CREATE INDEX journal_entries_by_day ON journal_entries (company_id, posted_on);

-- Debits positive, credits negative; an entry's lines sum to zero.
CREATE TABLE journal_lines (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    entry_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    -- The sub-ledger: receivables and advances are per subscriber.
    subscriber_id BIGINT,
    amount_poisha BIGINT NOT NULL CHECK (amount_poisha <> 0),
    CONSTRAINT journal_lines_entry_fk FOREIGN KEY (company_id, entry_id) REFERENCES journal_entries(company_id, id),
    CONSTRAINT journal_lines_account_fk FOREIGN KEY (company_id, account_id) REFERENCES accounts(company_id, id),
    CONSTRAINT journal_lines_subscriber_fk FOREIGN KEY (company_id, subscriber_id) REFERENCES subscribers(company_id, id)
);
CREATE INDEX journal_lines_by_entry ON journal_lines (entry_id);
CREATE INDEX journal_lines_by_account ON journal_lines (company_id, account_id);
CREATE INDEX journal_lines_by_subscriber ON journal_lines (company_id, subscriber_id, account_id);

-- What settles an invoice: an advance consumed, a credit note, (later) a payment.
CREATE TABLE allocations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    invoice_id BIGINT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('advance', 'credit_note', 'payment')),
    source_id BIGINT NOT NULL,
    entry_id BIGINT NOT NULL,
    amount_poisha BIGINT NOT NULL CHECK (amount_poisha > 0),
    created_at BIGINT NOT NULL,
    CONSTRAINT allocations_invoice_fk FOREIGN KEY (company_id, invoice_id) REFERENCES invoices(company_id, id),
    CONSTRAINT allocations_entry_fk FOREIGN KEY (company_id, entry_id) REFERENCES journal_entries(company_id, id)
);
CREATE INDEX allocations_by_invoice ON allocations (invoice_id);

-- Every subscriber that exists becomes a subscriber with one subscription, on their plan, from
-- the Dhaka day they were added.
INSERT INTO subscriptions (company_id, subscriber_id, plan_id, starts_on, ends_on, is_primary, created_at)
    SELECT company_id, id, plan_id,
        to_char(to_timestamp(created_at / 1000) AT TIME ZONE 'UTC' + interval '6 hours', 'YYYY-MM-DD'),
        CASE WHEN status = 'terminated' THEN
            to_char(to_timestamp(updated_at / 1000) AT TIME ZONE 'UTC' + interval '6 hours', 'YYYY-MM-DD')
        END,
        1, created_at
    FROM subscribers;
