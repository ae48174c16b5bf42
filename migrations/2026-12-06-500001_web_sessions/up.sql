SET lock_timeout = '5s';

-- The dashboard's sessions. The cookie holds a random 256-bit id; only its SHA-256 is kept, so
-- a copy of this table opens no session. A session ends when revoked (logout), after 30 idle
-- minutes, or 12 hours after it began (the service's policy, checked on every use).
CREATE TABLE web_sessions (
    id_digest        bytea PRIMARY KEY CHECK (length(id_digest) = 32),
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    subject          text NOT NULL CHECK (length(subject) BETWEEN 1 AND 512),
    role             text NOT NULL CHECK (role IN ('owner', 'admin', 'billing', 'viewer', 'customer')),
    customer_id      text NULL,
    -- How the person signed in: `token`, `dev_link` or `kratos`.
    method           text NOT NULL CHECK (method IN ('token', 'dev_link', 'kratos')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz NULL,
    CHECK ((role = 'customer') = (customer_id IS NOT NULL))
);

CREATE INDEX web_sessions_subject ON web_sessions (organization_id, subject);

-- One-time sign-in links printed by `tollgate dev-login` (embedded identity only): the SHA-256
-- of the link's secret, who it signs in, until when, and when it was used (once).
CREATE TABLE web_login_links (
    secret_digest    bytea PRIMARY KEY CHECK (length(secret_digest) = 32),
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    subject          text NOT NULL CHECK (length(subject) BETWEEN 1 AND 512),
    role             text NOT NULL CHECK (role IN ('owner', 'admin', 'billing', 'viewer', 'customer')),
    customer_id      text NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz NULL,
    CHECK ((role = 'customer') = (customer_id IS NOT NULL))
);
