-- The ClickHouse server is shared: OpenMeter uses the `openmeter` database (CLICKHOUSE_DB),
-- Langfuse its own (CLICKHOUSE_DB=langfuse in compose.yaml), made here on first start.
CREATE DATABASE IF NOT EXISTS langfuse;
