DROP INDEX quarantined_events_once;
ALTER TABLE quarantined_events DROP COLUMN fingerprint;
