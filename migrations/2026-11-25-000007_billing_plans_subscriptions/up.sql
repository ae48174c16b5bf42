-- Plans and subscriptions.
--
-- A plan is a code per organization; every change makes a new, immutable version, and a
-- subscription keeps the version it started with until it renews. A subscription's life is a
-- list of phases, each on one plan version: an upgrade closes the running phase now and opens
-- one on the new plan; a downgrade opens one at the end of the current period; terminating
-- closes the last phase. Plan changes keep the interval and the currency, so every phase of a
-- subscription bills the same periods in the same currency.

-- Rows that point at a customer, plan or subscription name its organization in the foreign key
-- too, so the database itself refuses a row of one organization pointing into another's.
ALTER TABLE billing_customers
    ADD CONSTRAINT billing_customers_organization_id_id UNIQUE (organization_id, id);

CREATE TABLE billing_plans (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    code             text NOT NULL,
    current_version  integer NOT NULL CHECK (current_version >= 1),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, code),
    UNIQUE (organization_id, id)
);

-- `definition` is the plan as the API took it (base fee, trial days, charges with their
-- pricing models, minimum commitment), every amount a decimal string:
-- {"base_fee": {"amount": "49.00", "timing": "in_advance"|"in_arrears"} | null,
--  "trial_days": 0, "minimum_commitment": "100.00" | null,
--  "charges": [{"meter": "input_tokens", "free_units": "0", "minimum": "5.00" | null,
--               "model": {"type": "per_unit", "unit_price": "0.000002"}
--                      | {"type": "graduated" | "volume",
--                         "tiers": [{"up_to": "1000000" | null, "unit_price": "0.000002"}]}
--                      | {"type": "package", "size": "1000", "price": "0.50"}
--                      | {"type": "percentage_markup", "percent": "20"}}]}
CREATE TABLE billing_plan_versions (
    plan_id          uuid NOT NULL,
    version          integer NOT NULL CHECK (version >= 1),
    organization_id  uuid NOT NULL,
    name             text NOT NULL,
    description      text,
    interval         text NOT NULL CHECK (interval IN ('monthly', 'yearly')),
    currency         text NOT NULL,
    definition       jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plan_id, version),
    UNIQUE (organization_id, plan_id, version),
    FOREIGN KEY (organization_id, plan_id) REFERENCES billing_plans (organization_id, id)
);

-- A version is what running subscriptions are billed by: it never changes.
CREATE FUNCTION billing_plan_versions_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'plan versions are immutable: create a new version';
END $$;
CREATE TRIGGER billing_plan_versions_immutable BEFORE UPDATE OR DELETE ON billing_plan_versions
    FOR EACH ROW EXECUTE FUNCTION billing_plan_versions_refuse_change();

CREATE TABLE billing_subscriptions (
    id                uuid PRIMARY KEY,
    organization_id   uuid NOT NULL REFERENCES organizations (id),
    customer_id       uuid NOT NULL,
    -- The id Lago knows the subscription by (and events carry as external_subscription_id).
    external_id       text NOT NULL,
    status            text NOT NULL CHECK (status IN ('pending', 'active', 'terminated')),
    -- Billing periods are counted from here: period n is [anchor + n intervals, anchor + n+1).
    billing_anchor    timestamptz NOT NULL,
    started_at        timestamptz NOT NULL,
    trial_ends_at     timestamptz,
    terminated_at     timestamptz,
    -- The end of the last billing period that has its invoice (the period close's cursor).
    invoiced_through  timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, external_id),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, customer_id) REFERENCES billing_customers (organization_id, id)
);
-- A customer has at most one live subscription: a second one would bill the same usage twice.
CREATE UNIQUE INDEX billing_subscriptions_one_live_per_customer
    ON billing_subscriptions (customer_id) WHERE status IN ('pending', 'active');
CREATE INDEX billing_subscriptions_org_id ON billing_subscriptions (organization_id, id);
-- The period close scans live subscriptions by how far they are invoiced.
CREATE INDEX billing_subscriptions_due ON billing_subscriptions (invoiced_through)
    WHERE status <> 'terminated' OR terminated_at > invoiced_through;

-- [starts_at, ends_at) on one plan version; ends_at NULL while open-ended.
CREATE TABLE billing_subscription_phases (
    subscription_id  uuid NOT NULL,
    organization_id  uuid NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz,
    plan_id          uuid NOT NULL,
    plan_version     integer NOT NULL,
    -- Why the phase began: created, upgrade, downgrade, renewal (onto a newer plan version).
    reason           text NOT NULL CHECK (reason IN ('created', 'upgrade', 'downgrade', 'renewal')),
    PRIMARY KEY (subscription_id, starts_at),
    CHECK (ends_at IS NULL OR ends_at > starts_at),
    FOREIGN KEY (organization_id, subscription_id)
        REFERENCES billing_subscriptions (organization_id, id),
    FOREIGN KEY (organization_id, plan_id, plan_version)
        REFERENCES billing_plan_versions (organization_id, plan_id, version)
);
