-- Identity and access: members' roles (when Keto is not configured), API keys, organization
-- settings, outbound webhook targets, and the append-only, hash-chained audit log.

CREATE TABLE memberships (
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    subject          text NOT NULL,
    role             text NOT NULL CHECK (role IN ('owner', 'admin', 'billing', 'viewer', 'customer')),
    -- For role `customer`: the one customer this member may see.
    customer_id      text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, subject),
    CHECK ((role = 'customer') = (customer_id IS NOT NULL))
);

-- Keys are kept as SHA-256 only; `display_prefix` lets a list tell them apart.
CREATE TABLE api_keys (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    name             text NOT NULL,
    display_prefix   text NOT NULL,
    secret_sha256    bytea NOT NULL UNIQUE,
    scopes           text[] NOT NULL,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz,
    last_used_at     timestamptz,
    revoked_at       timestamptz
);
CREATE INDEX api_keys_org ON api_keys (organization_id, created_at);

-- Rotation keeps the old secret valid until `expires_at`, so LiteLLM can be switched over.
ALTER TABLE litellm_webhook_secrets ADD COLUMN expires_at timestamptz;
ALTER TABLE litellm_webhook_secrets ADD COLUMN display_prefix text NOT NULL DEFAULT '';

CREATE TABLE organization_settings (
    organization_id   uuid PRIMARY KEY REFERENCES organizations (id),
    display_name      text,
    billing_contact   jsonb,
    debug_mode        boolean NOT NULL DEFAULT false,
    alert_thresholds  jsonb NOT NULL DEFAULT '[]',
    webhook_urls      jsonb NOT NULL DEFAULT '[]',
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Per-installation random salt, so hashed client addresses cannot be reversed by hashing the
-- whole IPv4 space.
CREATE TABLE installation_secrets (
    name   text PRIMARY KEY,
    value  bytea NOT NULL
);

CREATE TABLE audit_log (
    organization_id      uuid NOT NULL REFERENCES organizations (id),
    sequence             bigint NOT NULL,
    occurred_at          timestamptz NOT NULL,
    actor                text NOT NULL,
    action               text NOT NULL,
    target               text,
    request_id           text,
    result               text NOT NULL,
    client_address_hash  text,
    previous_hash        bytea NOT NULL,
    hash                 bytea NOT NULL,
    PRIMARY KEY (organization_id, sequence)
);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
