SET lock_timeout = '5s';

DELETE FROM web_sessions WHERE method = 'portal_link';
ALTER TABLE web_sessions DROP CONSTRAINT web_sessions_method_check;
ALTER TABLE web_sessions ADD CONSTRAINT web_sessions_method_check
    CHECK (method IN ('token', 'dev_link', 'kratos'));
