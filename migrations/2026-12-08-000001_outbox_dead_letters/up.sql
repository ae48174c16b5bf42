-- Dead letters are listed newest first per organization (Settings → Delivery, the API's
-- dead-letters list); without an index of their own the list walks the ids of every delivered
-- row. CONCURRENTLY, so ingest keeps writing the outbox while it is built; alone in its file and
-- outside a transaction, as PostgreSQL requires of it. It cannot be preceded by `SET
-- lock_timeout` here: the migration runner sets it for its whole session (migrate.rs).
-- squawk-ignore require-lock-timeout
CREATE INDEX CONCURRENTLY IF NOT EXISTS outbox_dead ON outbox (organization_id, id) WHERE state = 'dead';
