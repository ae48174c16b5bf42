-- Portal links open a session of their own (`method = 'portal_link'`): the customer's portal
-- pages, without an account. The method's check is widened; the new one is added NOT VALID
-- (no scan under the lock) and validated by the next migration.
-- contract: the dropped check is replaced in the same transaction by a wider one; every row
-- and every older release's write satisfies both.
SET lock_timeout = '5s';

ALTER TABLE web_sessions DROP CONSTRAINT web_sessions_method_check;
ALTER TABLE web_sessions ADD CONSTRAINT web_sessions_method_check
    CHECK (method IN ('token', 'dev_link', 'kratos', 'portal_link')) NOT VALID;
