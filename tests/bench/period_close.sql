-- Data for the month-close benchmark (tests/bench/period_close.sh), built by SQL on a freshly
-- migrated database:
--   * organization `bench`; 10,000 USD customers `cust_00000`..`cust_09999`;
--   * 4 plans of different pricing models (per unit + base fee in arrears; graduated + base
--     fee in advance + minimum commitment; volume + package + a charge minimum; percentage
--     markup on the LLM cost + a free allowance);
--   * 10,000 subscriptions anchored at 2026-01-01 (plan = customer number mod 4); every tenth
--     (1,000) upgrades on January 15th at 13:27 from `starter` to `growth` (two phases: usage
--     read from day, hour and minute buckets around the upgrade);
--   * embedded rollups standing for exactly 10,000,000 events in January 2026: 1,000 per
--     customer over 31 days and 2 models (16 or 17 per day and model), 500 input and 200
--     output tokens and 0.0012345 USD each. Day buckets for every customer and day; hour and
--     minute buckets for January 15th of the upgraded customers (what their close reads,
--     consistent with the day buckets). `:customers` and `:events_per_customer` scale it.

\set ON_ERROR_STOP on

INSERT INTO organizations (id, slug, name)
VALUES ('00000000-0000-7000-8000-00000000b001', 'bench', 'Bench Co');

INSERT INTO billing_customers (id, organization_id, external_id, name, billing_email, currency,
                               currency_minor_units)
SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(n), 12, '0'))::uuid,
       '00000000-0000-7000-8000-00000000b001', 'cust_' || lpad(n::text, 5, '0'),
       'Customer ' || n, 'billing+' || n || '@bench.example', 'USD', 2
FROM generate_series(0, :customers - 1) AS n;

INSERT INTO billing_plans (id, organization_id, code, current_version) VALUES
    ('00000000-0000-7000-a000-000000000000', '00000000-0000-7000-8000-00000000b001', 'starter', 1),
    ('00000000-0000-7000-a000-000000000001', '00000000-0000-7000-8000-00000000b001', 'growth', 1),
    ('00000000-0000-7000-a000-000000000002', '00000000-0000-7000-8000-00000000b001', 'scale', 1),
    ('00000000-0000-7000-a000-000000000003', '00000000-0000-7000-8000-00000000b001', 'markup', 1);

INSERT INTO billing_plan_versions (plan_id, version, organization_id, name, interval, currency,
                                   definition) VALUES
    ('00000000-0000-7000-a000-000000000000', 1, '00000000-0000-7000-8000-00000000b001',
     'Starter', 'monthly', 'USD',
     '{"base_fee": {"amount": "9.00", "timing": "in_arrears"}, "trial_days": 0,
       "minimum_commitment": null,
       "charges": [
         {"meter": "input_tokens", "free_units": "0", "minimum": null,
          "model": {"type": "per_unit", "unit_price": "0.0000025"}},
         {"meter": "output_tokens", "free_units": "0", "minimum": null,
          "model": {"type": "per_unit", "unit_price": "0.00001"}}]}'),
    ('00000000-0000-7000-a000-000000000001', 1, '00000000-0000-7000-8000-00000000b001',
     'Growth', 'monthly', 'USD',
     '{"base_fee": {"amount": "49.00", "timing": "in_advance"}, "trial_days": 0,
       "minimum_commitment": "100.00",
       "charges": [
         {"meter": "requests", "free_units": "0", "minimum": null,
          "model": {"type": "graduated", "tiers": [
            {"up_to": "100", "unit_price": "0.01"},
            {"up_to": "500", "unit_price": "0.005"},
            {"up_to": null, "unit_price": "0.002"}]}}]}'),
    ('00000000-0000-7000-a000-000000000002', 1, '00000000-0000-7000-8000-00000000b001',
     'Scale', 'monthly', 'USD',
     '{"base_fee": null, "trial_days": 0, "minimum_commitment": null,
       "charges": [
         {"meter": "input_tokens", "free_units": "0", "minimum": "5.00",
          "model": {"type": "volume", "tiers": [
            {"up_to": "100000", "unit_price": "0.000003"},
            {"up_to": null, "unit_price": "0.000002"}]}},
         {"meter": "requests", "free_units": "0", "minimum": null,
          "model": {"type": "package", "size": "100", "price": "0.50"}}]}'),
    ('00000000-0000-7000-a000-000000000003', 1, '00000000-0000-7000-8000-00000000b001',
     'Markup', 'monthly', 'USD',
     '{"base_fee": {"amount": "19.00", "timing": "in_arrears"}, "trial_days": 0,
       "minimum_commitment": null,
       "charges": [
         {"meter": "cost_usd", "free_units": "0", "minimum": null,
          "model": {"type": "percentage_markup", "percent": "20"}},
         {"meter": "requests", "free_units": "200", "minimum": null,
          "model": {"type": "per_unit", "unit_price": "0.001"}}]}');

INSERT INTO billing_subscriptions (id, organization_id, customer_id, external_id, status,
                                   billing_anchor, started_at, invoiced_through)
SELECT ('00000000-0000-7000-b000-' || lpad(to_hex(n), 12, '0'))::uuid,
       '00000000-0000-7000-8000-00000000b001',
       ('00000000-0000-7000-9000-' || lpad(to_hex(n), 12, '0'))::uuid,
       'sub_' || lpad(n::text, 5, '0'), 'active',
       '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
FROM generate_series(0, :customers - 1) AS n;

-- Phases: plan n mod 4; every tenth customer upgrades starter -> growth on Jan 15th 13:27.
INSERT INTO billing_subscription_phases (subscription_id, organization_id, starts_at, ends_at,
                                         plan_id, plan_version, reason)
SELECT ('00000000-0000-7000-b000-' || lpad(to_hex(n), 12, '0'))::uuid,
       '00000000-0000-7000-8000-00000000b001'::uuid, '2026-01-01T00:00:00Z'::timestamptz,
       CASE WHEN n % 10 = 9 THEN '2026-01-15T13:27:00Z'::timestamptz END,
       ('00000000-0000-7000-a000-' || lpad(CASE WHEN n % 10 = 9 THEN 0 ELSE n % 4 END::text,
                                            12, '0'))::uuid,
       1, 'created'::text
FROM generate_series(0, :customers - 1) AS n
UNION ALL
SELECT ('00000000-0000-7000-b000-' || lpad(to_hex(n), 12, '0'))::uuid,
       '00000000-0000-7000-8000-00000000b001'::uuid, '2026-01-15T13:27:00Z'::timestamptz, NULL,
       '00000000-0000-7000-a000-000000000001'::uuid, 1, 'upgrade'
FROM generate_series(0, :customers - 1) AS n WHERE n % 10 = 9;

-- Requests per (customer, day, model): cell k of 62 gets events_per_customer / 62, and the
-- first (events_per_customer mod 62) cells (rotated per customer) one more.
CREATE TEMPORARY TABLE bench_cells AS
SELECT n, d, m,
       (:events_per_customer / 62
        + CASE WHEN ((d - 1) * 2 + m + n) % 62 < :events_per_customer % 62 THEN 1 ELSE 0 END)
           AS requests
FROM generate_series(0, :customers - 1) AS n,
     generate_series(1, 31) AS d,
     generate_series(0, 1) AS m;

INSERT INTO usage_rollups (organization_id, granularity, bucket_start, customer_id, model,
                           input_tokens, output_tokens, cached_tokens, reasoning_tokens,
                           requests, cost_usd, cache_hits)
SELECT '00000000-0000-7000-8000-00000000b001', 'day',
       '2026-01-01T00:00:00Z'::timestamptz + (d - 1) * interval '1 day',
       'cust_' || lpad(n::text, 5, '0'), 'model-' || m,
       requests * 500, requests * 200, 0, 0, requests, requests * 0.0012345, 0
FROM bench_cells;

-- January 15th of the upgraded customers: one event in each of the day's first `requests`
-- hours; hour 13's event at minute (n mod 60).
INSERT INTO usage_rollups (organization_id, granularity, bucket_start, customer_id, model,
                           input_tokens, output_tokens, cached_tokens, reasoning_tokens,
                           requests, cost_usd, cache_hits)
SELECT '00000000-0000-7000-8000-00000000b001', 'hour',
       '2026-01-15T00:00:00Z'::timestamptz + h * interval '1 hour',
       'cust_' || lpad(n::text, 5, '0'), 'model-' || m, 500, 200, 0, 0, 1, 0.0012345, 0
FROM bench_cells, generate_series(0, 23) AS h
WHERE d = 15 AND n % 10 = 9 AND h < requests;

INSERT INTO usage_rollups (organization_id, granularity, bucket_start, customer_id, model,
                           input_tokens, output_tokens, cached_tokens, reasoning_tokens,
                           requests, cost_usd, cache_hits)
SELECT '00000000-0000-7000-8000-00000000b001', 'minute',
       '2026-01-15T13:00:00Z'::timestamptz + (n % 60) * interval '1 minute',
       'cust_' || lpad(n::text, 5, '0'), 'model-' || m, 500, 200, 0, 0, 1, 0.0012345, 0
FROM bench_cells
WHERE d = 15 AND n % 10 = 9 AND 13 < requests;

-- The same usage by call status (all successful), which is what the close bills from.
INSERT INTO usage_dimension_rollups (organization_id, dimension, granularity, bucket_start,
                                     customer_id, value, input_tokens, output_tokens,
                                     cached_tokens, reasoning_tokens, requests, cost_usd,
                                     cache_hits)
SELECT organization_id, 'status', granularity, bucket_start, customer_id, 'success',
       sum(input_tokens), sum(output_tokens), sum(cached_tokens), sum(reasoning_tokens),
       sum(requests), sum(cost_usd), sum(cache_hits)
FROM usage_rollups
GROUP BY organization_id, granularity, bucket_start, customer_id;

ANALYZE;
