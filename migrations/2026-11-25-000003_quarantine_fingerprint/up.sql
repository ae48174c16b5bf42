-- A re-sent batch must not quarantine its unusable events twice: each entry is keyed by the
-- SHA-256 of the event's bytes as received, once per organization.
ALTER TABLE quarantined_events ADD COLUMN fingerprint bytea;
UPDATE quarantined_events SET fingerprint = sha256(convert_to(id::text || content::text, 'UTF8'));
ALTER TABLE quarantined_events ALTER COLUMN fingerprint SET NOT NULL;
CREATE UNIQUE INDEX quarantined_events_once ON quarantined_events (organization_id, fingerprint);
