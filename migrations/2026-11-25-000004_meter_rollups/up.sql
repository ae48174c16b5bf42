-- Embedded meters: usage summed per minute, hour and UTC day and per customer, model,
-- provider, key, team and status. Written by the dispatcher in the same transaction that marks
-- the events' outbox rows delivered, so each event is counted exactly once. Empty text stands
-- for "none" so the key columns can be part of the primary key.
CREATE TABLE meter_rollups (
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    granularity      text NOT NULL CHECK (granularity IN ('minute', 'hour', 'day')),
    bucket_start     timestamptz NOT NULL,
    customer_id      text NOT NULL,
    model            text NOT NULL,
    provider         text NOT NULL,
    api_key          text NOT NULL,
    team             text NOT NULL,
    status           text NOT NULL,
    meter            text NOT NULL,
    quantity         numeric NOT NULL,
    PRIMARY KEY (organization_id, granularity, bucket_start, customer_id, model, provider,
                 api_key, team, status, meter)
);
