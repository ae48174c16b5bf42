DROP TABLE budget_alerts;
DROP TABLE quarantined_events;
DROP TABLE outbox;
DROP TABLE usage_events;
DROP TABLE litellm_webhook_secrets;
DROP TABLE organizations;
