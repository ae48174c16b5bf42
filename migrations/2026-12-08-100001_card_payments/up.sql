-- Card payments through a payment provider (Stripe), Tollgate staying the invoice of record:
-- the provider's customer behind each billing customer, one row per collection of an invoice
-- (its payment status, and the queue the collector works from), one row per attempt (its
-- idempotency key written before the provider is called), and the provider events applied.
SET lock_timeout = '5s';

CREATE TABLE payment_customers (
    organization_id        uuid NOT NULL,
    customer_id            uuid NOT NULL,
    provider               text NOT NULL CHECK (provider IN ('stripe')),
    provider_customer_id   text NOT NULL,
    -- The card charged off-session; NULL until one is saved.
    default_payment_method text,
    auto_collect           boolean NOT NULL DEFAULT true,
    -- Set when dunning gave up on an invoice; cleared when it is paid after all.
    delinquent             boolean NOT NULL DEFAULT false,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, customer_id),
    FOREIGN KEY (organization_id, customer_id) REFERENCES billing_customers (organization_id, id),
    UNIQUE (provider, provider_customer_id)
);

-- One per invoice being collected by card. `status` is the invoice's payment status; rows
-- whose `next_attempt_at` has come are what the collector claims (`FOR UPDATE SKIP LOCKED`
-- under `locked_until`).
CREATE TABLE invoice_collections (
    invoice_id        uuid PRIMARY KEY REFERENCES billing_invoices (id),
    organization_id   uuid NOT NULL REFERENCES organizations (id),
    status            text NOT NULL CHECK (status IN ('none', 'pending', 'requires_action',
                          'failed', 'uncollectible', 'succeeded', 'partially_refunded',
                          'refunded', 'disputed', 'dispute_won', 'dispute_lost')),
    amount_due        numeric NOT NULL CHECK (amount_due >= 0),
    currency          text NOT NULL,
    attempts_made     bigint NOT NULL DEFAULT 0,
    first_attempt_at  timestamptz,
    next_attempt_at   timestamptz,
    locked_until      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoice_collections_due ON invoice_collections (next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX invoice_collections_org ON invoice_collections (organization_id, invoice_id);

CREATE TABLE payments (
    id                uuid PRIMARY KEY,
    organization_id   uuid NOT NULL REFERENCES organizations (id),
    invoice_id        uuid NOT NULL REFERENCES invoice_collections (invoice_id),
    attempt           bigint NOT NULL CHECK (attempt >= 1),
    -- 'off_session': charged by the collector; 'link': paid by the customer on a pay-now page.
    kind              text NOT NULL CHECK (kind IN ('off_session', 'link')),
    idempotency_key   text NOT NULL UNIQUE,
    provider_payment  text UNIQUE,
    amount            numeric NOT NULL CHECK (amount > 0),
    currency          text NOT NULL,
    status            text NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded',
                          'failed', 'requires_action', 'canceled')),
    failure_code      text,
    decline_code      text,
    advice_code       text,
    failure_message   text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (invoice_id, attempt)
);
CREATE INDEX payments_org_id ON payments (organization_id, id);

-- Provider events applied, written in the transaction of their effect: a repeat finds its id
-- and changes nothing.
CREATE TABLE payment_provider_events (
    provider     text NOT NULL CHECK (provider IN ('stripe')),
    event_id     text NOT NULL,
    event_type   text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);

