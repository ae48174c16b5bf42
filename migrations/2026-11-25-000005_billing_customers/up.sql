-- Billing customers: who an organization bills, in which currency, and where invoices go.
-- `external_id` is the operator's own id for the customer, the one usage events carry.

CREATE TABLE billing_customers (
    id                    uuid PRIMARY KEY,
    organization_id       uuid NOT NULL REFERENCES organizations (id),
    external_id           text NOT NULL,
    name                  text NOT NULL,
    billing_email         text NOT NULL,
    currency              text NOT NULL,
    currency_minor_units  integer NOT NULL CHECK (currency_minor_units BETWEEN 0 AND 4),
    -- {line1, line2, city, postal_code, state, country}
    address               jsonb,
    tax_id                text,
    timezone              text NOT NULL DEFAULT 'UTC',
    metadata              jsonb NOT NULL DEFAULT '{}',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, external_id)
);
-- Paging by id within an organization.
CREATE INDEX billing_customers_org_id ON billing_customers (organization_id, id);
