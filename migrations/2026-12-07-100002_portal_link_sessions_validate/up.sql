-- Validates the widened method check of the previous migration apart from the ALTER that
-- added it: VALIDATE scans under a lock that lets reads and writes go on.
SET lock_timeout = '5s';

ALTER TABLE web_sessions VALIDATE CONSTRAINT web_sessions_method_check;
