-- The alias LiteLLM last sent for each of its API keys (named by the key's SHA-256), so that
-- a usage breakdown by key can show it: the rollups group by the hash alone (an alias can
-- change), and finding a key's latest alias among millions of events would be a scan.
-- Written by ingest, in the statement that stores the events; `named_at` is the time of the
-- event that brought the alias, so a late event does not take back a newer alias.
CREATE TABLE litellm_key_aliases (
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    api_key_hash     text NOT NULL,
    alias            text NOT NULL,
    named_at         timestamptz NOT NULL,
    PRIMARY KEY (organization_id, api_key_hash)
);

-- Existing installations: each key's alias from its latest event that has one.
INSERT INTO litellm_key_aliases (organization_id, api_key_hash, alias, named_at)
SELECT DISTINCT ON (organization_id, api_key_hash)
       organization_id, api_key_hash, api_key_alias, occurred_at
FROM usage_events
WHERE api_key_hash IS NOT NULL AND api_key_alias IS NOT NULL
ORDER BY organization_id, api_key_hash, occurred_at DESC, id DESC;
