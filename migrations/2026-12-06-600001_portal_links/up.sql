-- One-time links into a customer's portal (POST /api/billing/customers/{id}/portal-links).
-- Only a SHA-256 of each token is kept: a leaked table opens no portal. A link is redeemed
-- once (`redeemed_at` set by the statement that checks it is still unset and unexpired).
-- A new table: nothing else waits on it, but a lock wait must not hold up others.
SET lock_timeout = '5s';

CREATE TABLE portal_links (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    customer_id      uuid NOT NULL,
    token_sha256     bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
    return_url       text CHECK (char_length(return_url) BETWEEN 1 AND 2048),
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    redeemed_at      timestamptz,
    CHECK (expires_at > created_at),
    FOREIGN KEY (organization_id, customer_id) REFERENCES billing_customers (organization_id, id)
);
CREATE INDEX portal_links_customer ON portal_links (organization_id, customer_id);
