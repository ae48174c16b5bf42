DROP TABLE audit_log;
DROP FUNCTION audit_log_refuse_change();
DROP TABLE installation_secrets;
DROP TABLE organization_settings;
ALTER TABLE litellm_webhook_secrets DROP COLUMN display_prefix;
ALTER TABLE litellm_webhook_secrets DROP COLUMN expires_at;
DROP TABLE api_keys;
DROP TABLE memberships;
