-- The rollups most usage queries need (per customer and model, every meter a column): about 70x
-- fewer rows than meter_rollups, which keeps every dimension for key/team/provider/status
-- breakdowns. Written in the same transaction as meter_rollups.
CREATE TABLE usage_rollups (
    organization_id   uuid NOT NULL REFERENCES organizations (id),
    granularity       text NOT NULL CHECK (granularity IN ('minute', 'hour', 'day')),
    bucket_start      timestamptz NOT NULL,
    customer_id       text NOT NULL,
    model             text NOT NULL,
    input_tokens      numeric NOT NULL,
    output_tokens     numeric NOT NULL,
    cached_tokens     numeric NOT NULL,
    reasoning_tokens  numeric NOT NULL,
    requests          numeric NOT NULL,
    cost_usd          numeric NOT NULL,
    cache_hits        numeric NOT NULL,
    PRIMARY KEY (organization_id, granularity, bucket_start, customer_id, model)
);

-- Existing installations: fill it from the detailed rollups.
INSERT INTO usage_rollups
SELECT organization_id, granularity, bucket_start, customer_id, model,
       sum(quantity) FILTER (WHERE meter = 'input_tokens'),
       sum(quantity) FILTER (WHERE meter = 'output_tokens'),
       sum(quantity) FILTER (WHERE meter = 'cached_tokens'),
       sum(quantity) FILTER (WHERE meter = 'reasoning_tokens'),
       sum(quantity) FILTER (WHERE meter = 'requests'),
       sum(quantity) FILTER (WHERE meter = 'cost_usd'),
       coalesce(sum(quantity) FILTER (WHERE meter = 'cache_hits'), 0)
FROM meter_rollups
GROUP BY 1, 2, 3, 4, 5;
