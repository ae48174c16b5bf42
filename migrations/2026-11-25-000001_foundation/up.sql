-- The foundation: organizations, the LiteLLM webhook secrets, usage events with their
-- delivery outbox, the quarantine for unusable events, and LiteLLM budget alerts.

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Only a SHA-256 of each secret is kept: a leaked table does not leak the secrets.
CREATE TABLE litellm_webhook_secrets (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    secret_sha256    bytea NOT NULL UNIQUE,
    label            text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz
);

-- One row per LiteLLM call outcome, keyed by the organization and LiteLLM's own ids so that a
-- retried or concurrent delivery can never store it twice. Prompts, completions, headers and IP
-- addresses are never stored: only what metering, billing and support need.
CREATE TABLE usage_events (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id    uuid NOT NULL REFERENCES organizations (id),
    idempotency_key    text NOT NULL,
    occurred_at        timestamptz NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now(),
    customer_id        text,
    api_key_hash       text,
    api_key_alias      text,
    litellm_user_id    text,
    litellm_team_id    text,
    litellm_org_id     text,
    model_group        text,
    provider_model     text,
    provider           text,
    call_type          text,
    status             text NOT NULL CHECK (status IN ('success', 'failure')),
    error_code         text,
    prompt_tokens      bigint NOT NULL CHECK (prompt_tokens >= 0),
    completion_tokens  bigint NOT NULL CHECK (completion_tokens >= 0),
    total_tokens       bigint NOT NULL CHECK (total_tokens >= 0),
    cached_tokens      bigint NOT NULL CHECK (cached_tokens >= 0),
    reasoning_tokens   bigint NOT NULL CHECK (reasoning_tokens >= 0),
    cost_usd           numeric NOT NULL CHECK (cost_usd >= 0),
    cache_hit          boolean NOT NULL,
    stream             boolean NOT NULL,
    trace_id           text,
    request_tags       jsonb NOT NULL DEFAULT '[]',
    CONSTRAINT usage_events_idempotency UNIQUE (organization_id, idempotency_key)
);
CREATE INDEX usage_events_org_time ON usage_events (organization_id, occurred_at);

-- Written in the same statement as the events it points to (invariant 3): one row per event and
-- enabled delivery target. It leaves `pending` only as `delivered` or `dead`.
CREATE TABLE outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         bigint NOT NULL REFERENCES usage_events (id),
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    target           text NOT NULL,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    last_error       jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    CONSTRAINT outbox_one_row_per_target UNIQUE (event_id, target)
);
CREATE INDEX outbox_pending ON outbox (target, next_attempt_at) WHERE state = 'pending';

-- Valid JSON that could not become a usage event. `content` is minimized the same way stored
-- events are: it never holds messages, responses, headers or addresses.
CREATE TABLE quarantined_events (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    received_at      timestamptz NOT NULL DEFAULT now(),
    batch_index      integer NOT NULL,
    reason_code      text NOT NULL,
    reason           text NOT NULL,
    content          jsonb NOT NULL
);
CREATE INDEX quarantined_events_org_time ON quarantined_events (organization_id, received_at);

-- LiteLLM budget alerts, one per event, entity and UTC day: LiteLLM re-sends an alert whenever
-- a request trips the same check after a failed delivery.
CREATE TABLE budget_alerts (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id    uuid NOT NULL REFERENCES organizations (id),
    event              text NOT NULL,
    event_group        text NOT NULL,
    entity_id          text NOT NULL,
    alert_day          date NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now(),
    spend_usd          numeric,
    max_budget_usd     numeric,
    soft_budget_usd    numeric,
    projected_spend_usd numeric,
    projected_exceeded_date text,
    message            text,
    api_key_hash       text,
    api_key_alias      text,
    customer_id        text,
    litellm_user_id    text,
    litellm_team_id    text,
    litellm_org_id     text,
    CONSTRAINT budget_alerts_once_a_day UNIQUE (organization_id, event, entity_id, alert_day)
);
