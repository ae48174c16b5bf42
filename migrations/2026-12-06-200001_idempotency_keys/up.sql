-- `Idempotency-Key`s of the API's POST requests, per organization: the first request's
-- fingerprint (SHA-256 of method, path and body) and, once it has answered, its answer, kept
-- 24 hours. A running request holds its key through `lease` until `locked_until`; past that
-- it is taken as dead and the key can be claimed again.
CREATE TABLE idempotency_keys (
    organization_id   uuid NOT NULL REFERENCES organizations (id),
    key               text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint       bytea NOT NULL CHECK (length(fingerprint) = 32),
    lease             uuid NOT NULL,
    status            text NOT NULL CHECK (status IN ('running', 'done')),
    response_status   smallint NULL,
    -- The headers that describe the body, as `[[name, value], ...]`.
    response_headers  jsonb NULL,
    response_body     bytea NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    locked_until      timestamptz NULL,
    PRIMARY KEY (organization_id, key),
    CHECK ((status = 'done') = (response_status IS NOT NULL AND response_body IS NOT NULL)),
    CHECK ((status = 'running') = (locked_until IS NOT NULL))
);

-- Expired keys are purged oldest first.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
