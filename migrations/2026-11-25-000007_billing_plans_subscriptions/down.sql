DROP TABLE billing_subscription_phases;
DROP TABLE billing_subscriptions;
DROP TRIGGER billing_plan_versions_immutable ON billing_plan_versions;
DROP FUNCTION billing_plan_versions_refuse_change();
DROP TABLE billing_plan_versions;
DROP TABLE billing_plans;
ALTER TABLE billing_customers DROP CONSTRAINT billing_customers_organization_id_id;
