SET lock_timeout = '5s';

-- Where an organization receives Tollgate's events (Standard Webhooks). The signing secret is
-- stored encrypted (AES-256-GCM under the installation's `webhook_endpoint_key`, the endpoint
-- id as associated data): a copy of the database alone cannot forge events. After a rotation
-- the previous secret keeps signing until `previous_secret_expires_at`.
CREATE TABLE webhook_endpoints (
    id                          uuid PRIMARY KEY,
    organization_id             uuid NOT NULL REFERENCES organizations (id),
    url                         text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    description                 text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    -- Event type names; empty: every type.
    event_types                 text[] NOT NULL DEFAULT '{}',
    secret_sealed               bytea NOT NULL,
    previous_secret_sealed      bytea,
    previous_secret_expires_at  timestamptz,
    enabled                     boolean NOT NULL DEFAULT true,
    disabled_reason             text,
    disabled_at                 timestamptz,
    -- The first failure since the last success: five days of it disable the endpoint.
    failing_since               timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX webhook_endpoints_organization ON webhook_endpoints (organization_id, id);

-- One row per event: its id (`msg_<uuid>`) is the `webhook-id` of every delivery and retry of
-- it, and `body` the exact bytes signed. Written in the transaction of the change it reports.
CREATE TABLE webhook_messages (
    id               text PRIMARY KEY CHECK (id ~ '^msg_[0-9a-f]{32}$'),
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    event_type       text NOT NULL,
    body             text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- A message owed to one endpoint, claimed by the workers under a lease (`FOR UPDATE SKIP
-- LOCKED`, as the outbox is).
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id       text NOT NULL REFERENCES webhook_messages (id),
    state            text NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         bigint NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (endpoint_id, message_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_message ON webhook_deliveries (message_id);

-- Every attempt, for the operator's view: never the receiver's answer beyond a short excerpt.
CREATE TABLE webhook_attempts (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id       bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at      timestamptz NOT NULL,
    status_code       bigint,
    duration_ms       bigint NOT NULL,
    error             text,
    response_excerpt  text
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
