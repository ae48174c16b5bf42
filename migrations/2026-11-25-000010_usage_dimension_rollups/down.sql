-- meter_rollups again, rebuilt from the events the embedded meters counted (their outbox rows
-- for embedded_meter are delivered): the dimension rollups cannot be crossed back into it.
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

INSERT INTO meter_rollups
SELECT e.organization_id, g.granularity, date_trunc(g.granularity, e.occurred_at, 'UTC'),
       coalesce(e.customer_id, ''), coalesce(e.model_group, ''), coalesce(e.provider, ''),
       coalesce(e.api_key_hash, ''), coalesce(e.litellm_team_id, ''), e.status, m.meter,
       sum(m.quantity)
FROM usage_events e
JOIN outbox o ON o.event_id = e.id AND o.target = 'embedded_meter' AND o.state = 'delivered'
CROSS JOIN (VALUES ('minute'), ('hour'), ('day')) AS g(granularity)
CROSS JOIN LATERAL (VALUES
    ('input_tokens', e.prompt_tokens::numeric), ('output_tokens', e.completion_tokens::numeric),
    ('cached_tokens', e.cached_tokens::numeric), ('reasoning_tokens', e.reasoning_tokens::numeric),
    ('requests', 1::numeric), ('cost_usd', e.cost_usd),
    ('cache_hits', e.cache_hit::int::numeric)) AS m(meter, quantity)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;

DROP TABLE usage_dimension_rollups;
