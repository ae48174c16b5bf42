SET lock_timeout = '5s';

-- Consent to optional processing (GDPR Art. 7), append-only: a withdrawal is a new row, never
-- an edit, so the record shows what stood when. The latest row per (subject, purpose) is the
-- standing decision. `subject` is `member:<identity subject>` or `customer:<customer id>`.
CREATE TABLE consent_records (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    subject          text NOT NULL CHECK (subject ~ '^(member|customer):.' AND length(subject) <= 600),
    purpose          text NOT NULL CHECK (purpose IN ('langfuse_export', 'prompt_capture', 'analytics_cookies')),
    decision         text NOT NULL CHECK (decision IN ('granted', 'withdrawn')),
    -- The notice the person was shown: its front matter's version and the SHA-256 of its text.
    notice_version   text NOT NULL CHECK (length(notice_version) BETWEEN 1 AND 64),
    notice_sha256    bytea NOT NULL CHECK (length(notice_sha256) = 32),
    method           text NOT NULL CHECK (method IN ('banner', 'api')),
    -- Who recorded it (`user:<subject>` for the person themselves, `api_key:<id>`...).
    actor            text NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    request_id       text
);

CREATE INDEX consent_records_subject
    ON consent_records (organization_id, subject, purpose, id DESC);

CREATE FUNCTION consent_records_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent_records is append-only';
END
$$;
CREATE TRIGGER consent_records_append_only BEFORE UPDATE OR DELETE ON consent_records
    FOR EACH ROW EXECUTE FUNCTION consent_records_refuse_change();
CREATE TRIGGER consent_records_no_truncate BEFORE TRUNCATE ON consent_records
    FOR EACH STATEMENT EXECUTE FUNCTION consent_records_refuse_change();

-- Requests to export what Tollgate holds about a subject (GDPR Art. 15, 20), built by the
-- workers under a lease (`FOR UPDATE SKIP LOCKED`, as the outbox is). A member's export is one
-- JSON document; a customer's (format `zip`) extends the same row and runner.
CREATE TABLE privacy_exports (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    subject_kind     text NOT NULL CHECK (subject_kind IN ('member', 'customer')),
    subject          text NOT NULL CHECK (length(subject) BETWEEN 1 AND 512),
    -- A member's role and customer as the access decision found them when they asked (Keto or
    -- the embedded memberships), so the worker need not reach Keto.
    member_role      text CHECK (member_role IN ('owner', 'admin', 'billing', 'viewer', 'customer')),
    member_customer  text,
    format           text NOT NULL CHECK (format IN ('json', 'zip')),
    status           text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'running', 'done', 'failed')),
    requested_by     text NOT NULL,
    request_id       text,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    -- Art. 12(3): one month.
    due_at           timestamptz NOT NULL,
    attempts         bigint NOT NULL DEFAULT 0,
    claim            uuid,
    locked_until     timestamptz,
    completed_at     timestamptz,
    -- Downloadable until then; the content is deleted after it.
    expires_at       timestamptz,
    content          bytea,
    content_sha256   bytea CHECK (length(content_sha256) = 32),
    content_bytes    bigint,
    last_error       text,
    CHECK ((status = 'done') = (completed_at IS NOT NULL AND expires_at IS NOT NULL))
);

-- One open request per subject: a second one while the first runs is refused (409).
CREATE UNIQUE INDEX privacy_exports_one_open
    ON privacy_exports (organization_id, subject_kind, subject)
    WHERE status IN ('pending', 'running');
CREATE INDEX privacy_exports_due
    ON privacy_exports (requested_at)
    WHERE status IN ('pending', 'running');
CREATE INDEX privacy_exports_subject
    ON privacy_exports (organization_id, subject_kind, subject, requested_at DESC);
CREATE INDEX privacy_exports_expiring
    ON privacy_exports (expires_at)
    WHERE content IS NOT NULL;
