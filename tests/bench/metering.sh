#!/usr/bin/env bash
# Metering benchmarks (`make bench`, after the ingest bench; or alone).
#
# Each scenario gets a fresh PostgreSQL database, a release build of Tollgate started by the
# load generator (crates/http/benches/metering_load.rs) so that it can point Tollgate at the
# fake OpenMeter it runs itself, and prints its figures; a summary with the targets follows:
#   d) drain of a 1,000,000-event outbox backlog (built by SQL) by `tollgate worker` into a
#      fake OpenMeter (204, counts events)                          >= 20,000 events/s
#   e) delivered_at - created_at of outbox rows while `tollgate serve` takes a steady
#      2,000 events/s (20 POSTs/s of 100-event LiteLLM JSON arrays), fake OpenMeter target
#                                                                   p99 <= 2 s
#   f) GET /api/usage over 30 days of rollups standing for 10,000,000 events (20 customers,
#      10 models, 6 providers, 5 keys, 3 teams, 2 statuses; the usage_rollups and
#      usage_dimension_rollups rows are computed by SQL from 10M deterministic pseudo-random
#      events, not ingested), every group_by at DAY over 30 days and HOUR over 7 days, and
#      one customer's, 40 requests per shape                        p95 <= 50 ms per shape
#   i) recovery: `tollgate serve` (default delivery settings) takes 300 events/s while the fake
#      OpenMeter, behind a TCP proxy, answers 503 for 30 s then refuses connections for 30 s;
#      from the first success after it is back until every row stored before is delivered
#                                                                   <= 10 s
#   p) the dashboard's pages: render time, weight, DOMContentLoaded (tests/bench/metering_pages.sh)
#
# Usage: bash tests/bench/metering.sh
#
# Environment:
#   TEST_DATABASE_URL                  admin URL (may CREATE DATABASE); default: the one
#                                      printed by deploy/dev/ensure-postgres.sh
#   TOLLGATE_BENCH_METERING            scenarios to run, e.g. "d,f" (default "d,e,f,i,p")
#   TOLLGATE_BENCH_DRAIN_EVENTS        backlog of d (default 1000000)
#   TOLLGATE_BENCH_DRAIN_WORKERS       `tollgate worker` processes in d (default 1)
#   TOLLGATE_BENCH_LAG_RATE            events/s in e (default 2000)
#   TOLLGATE_BENCH_LAG_BATCH           events per POST in e (default 100)
#   TOLLGATE_BENCH_LAG_DURATION        measured seconds of e (default 30)
#   TOLLGATE_BENCH_LAG_TARGET          openmeter (the fake, default) or embedded_meter
#   TOLLGATE_BENCH_USAGE_EVENTS        events the rollups of f stand for (default 10000000)
#   TOLLGATE_BENCH_USAGE_MINUTE_DAYS   days (the most recent) that also get minute rollups in f
#                                      (default 1; all 30 would be ~65M rows / ~15 GB, and
#                                      no timed query reads minute rows)
#   TOLLGATE_BENCH_USAGE_REQUESTS      timed /api/usage requests in f, round robin over the
#                                      shapes (default 720: 40 per shape)
#   TOLLGATE_BENCH_CROSSCHECK_EVENTS   real events rolled up by Tollgate's embedded dispatcher in
#                                      f and compared with the SQL rollups (default 100000; 0 = off)
#   TOLLGATE_BENCH_RECOVERY_RATE       events/s in i (default 300)
#   TOLLGATE_BENCH_RECOVERY_OUTAGE     seconds the fake is down in i (default 60)
#   TOLLGATE_BENCH_STRICT=1            exit 3 when a target is missed
#   TOLLGATE_BENCH_KEEP_DB=1           keep the databases
#   TOLLGATE_BENCH_STUB=1              skip (the ingest bench's generator-only mode)
#   TOLLGATE_BENCH_METERING_GENERATOR  path of a prebuilt metering_load (skips its build)
#   Any TOLLGATE__SECTION__KEY setting reaches Tollgate (e.g. TOLLGATE__OPENMETER__BATCH_SIZE).
#
# Exit status: 0 when the bench ran (targets are reported, not enforced unless
# TOLLGATE_BENCH_STRICT=1), 1 when it could not run.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$REPO_ROOT"

SCENARIOS=${TOLLGATE_BENCH_METERING:-d,e,f,i,p}
DRAIN_EVENTS=${TOLLGATE_BENCH_DRAIN_EVENTS:-1000000}
DRAIN_WORKERS=${TOLLGATE_BENCH_DRAIN_WORKERS:-1}
LAG_RATE=${TOLLGATE_BENCH_LAG_RATE:-2000}
LAG_BATCH=${TOLLGATE_BENCH_LAG_BATCH:-100}
LAG_DURATION=${TOLLGATE_BENCH_LAG_DURATION:-30}
LAG_TARGET=${TOLLGATE_BENCH_LAG_TARGET:-openmeter}
USAGE_EVENTS=${TOLLGATE_BENCH_USAGE_EVENTS:-10000000}
USAGE_MINUTE_DAYS=${TOLLGATE_BENCH_USAGE_MINUTE_DAYS:-1}
USAGE_REQUESTS=${TOLLGATE_BENCH_USAGE_REQUESTS:-720}
CROSSCHECK_EVENTS=${TOLLGATE_BENCH_CROSSCHECK_EVENTS:-100000}
TARGET_D=20000
TARGET_E_P99_S=2
TARGET_F_P95_MS=50
RECOVERY_RATE=${TOLLGATE_BENCH_RECOVERY_RATE:-300}
RECOVERY_OUTAGE=${TOLLGATE_BENCH_RECOVERY_OUTAGE:-60}
TARGET_I_DRAIN_S=10

log() { printf 'metering bench: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

if [[ ${TOLLGATE_BENCH_STUB:-0} == 1 ]]; then
    log "TOLLGATE_BENCH_STUB=1: skipping the metering benchmarks (they need Tollgate and PostgreSQL)"
    exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-metering-bench.XXXXXX")
ADMIN_URL=
DATABASES=()
GEN_PID=
PID_FILE=$WORK/children.pids

# Stops what this script started: the generator, then the Tollgate children it spawned
# (by the pids it wrote), then drops the databases.
stop_processes() {
    local pid i
    if [[ -n $GEN_PID ]] && kill -0 "$GEN_PID" 2>/dev/null; then
        kill -TERM "$GEN_PID" 2>/dev/null || true
        wait "$GEN_PID" 2>/dev/null || true
    fi
    GEN_PID=
    if [[ -s $PID_FILE ]]; then
        while read -r pid; do
            [[ $pid =~ ^[0-9]+$ ]] || continue
            kill -0 "$pid" 2>/dev/null || continue
            kill -TERM "$pid" 2>/dev/null || true
            for ((i = 0; i < 150; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        done <"$PID_FILE"
        : >"$PID_FILE"
    fi
}

drop_database() {
    local db=$1
    if [[ ${TOLLGATE_BENCH_KEEP_DB:-0} == 1 ]]; then
        log "kept database $db"
        return 0
    fi
    psql -X -q -d "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 ||
        log "warning: could not drop database $db"
}

cleanup() {
    local status=$? db
    stop_processes
    for db in "${DATABASES[@]}"; do
        drop_database "$db"
    done
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 - <<'EOF' 2>/dev/null && return 0
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || {
            echo "$port"
            return 0
        }
    done
    return 1
}

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

with_database() {
    local url=$1 db=$2
    [[ $url =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]] ||
        die "cannot parse database URL (expected postgres://...)"
    printf '%s/%s%s\n' "${BASH_REMATCH[1]}" "$db" "${BASH_REMATCH[4]}"
}

# CPU busy % (of nproc x 100) over 1 s, and the load average.
cpu_busy_pct() {
    local a b
    a=$(head -n 1 /proc/stat)
    sleep 1
    b=$(head -n 1 /proc/stat)
    awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        for (i = 2; i <= 9; i++) { t += y[i] - x[i]; if (i == 5 || i == 6) idle += y[i] - x[i] }
        printf "%.0f", (t > 0) ? (t - idle) * 100 * n / t : 0 }'
}
machine_state() { echo "cpu $(cpu_busy_pct)% busy of $(($(nproc) * 100))%, load $(cut -d' ' -f1-3 /proc/loadavg)"; }

# The machine is shared: before a measurement, wait (up to TOLLGATE_BENCH_QUIET_WAIT seconds,
# default 120) for it to be under 30 % busy; the state is reported either way.
wait_quiet() {
    local deadline=$((SECONDS + ${TOLLGATE_BENCH_QUIET_WAIT:-120})) busy
    while :; do
        busy=$(cpu_busy_pct)
        ((busy < 30 || SECONDS >= deadline)) && break
        log "machine ${busy}% busy (other work): waiting for it to quieten"
        sleep 4
    done
}

now_s() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

# --- build ------------------------------------------------------------------------------

if [[ -n ${TOLLGATE_BENCH_METERING_GENERATOR:-} ]]; then
    GEN=$TOLLGATE_BENCH_METERING_GENERATOR
else
    log "building the metering load generator (release)"
    GEN=$(cargo bench -p tollgate-http --bench metering_load --no-run --message-format=json |
        sed -n 's/.*"executable":"\([^"]*metering_load[^"]*\)".*/\1/p' | tail -n 1) || true
fi
[[ -n $GEN && -x $GEN ]] || die "building the metering load generator failed"
log "building tollgate (release)"
cargo build --release -p tollgate-http --bin tollgate || die "building tollgate failed"
TOLLGATE_BIN=${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/tollgate
[[ -x $TOLLGATE_BIN ]] || die "$TOLLGATE_BIN missing after build"
command -v psql >/dev/null || die "psql not found (apt-get install postgresql-client)"

if [[ -n ${TEST_DATABASE_URL:-} ]]; then
    ADMIN_URL=$TEST_DATABASE_URL
else
    ADMIN_URL=$(bash deploy/dev/ensure-postgres.sh) || die "deploy/dev/ensure-postgres.sh failed"
fi
[[ -n $ADMIN_URL ]] || die "no admin database URL"

RESULTS=$WORK/results.txt
: >"$RESULTS"

# new_database <scenario>: creates and migrates a fresh database; sets DB_NAME and DB_URL.
new_database() {
    DB_NAME=tollgate_bench_metering_$1_$(random_hex 4)
    psql -X -q -v ON_ERROR_STOP=1 -d "$ADMIN_URL" -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null ||
        die "could not create database $DB_NAME"
    DATABASES+=("$DB_NAME")
    DB_URL=$(with_database "$ADMIN_URL" "$DB_NAME")
    TOLLGATE__DATABASE__URL=$DB_URL TOLLGATE__LOG__LEVEL=warn "$TOLLGATE_BIN" migrate \
        >"$WORK/migrate-$1.log" 2>&1 || {
        tail -n 20 "$WORK/migrate-$1.log" >&2
        die "tollgate migrate failed"
    }
}

finish_database() {
    drop_database "$DB_NAME"
    local keep=() db
    for db in "${DATABASES[@]}"; do
        [[ $db == "$DB_NAME" ]] || keep+=("$db")
    done
    DATABASES=("${keep[@]+"${keep[@]}"}")
}

sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB_URL" "$@"; }

# The organization Tollgate serves (`default`, as `serve` would create it); prints its id.
default_org() {
    sql -At -c "INSERT INTO organizations (id, slug, name)
                VALUES (gen_random_uuid(), 'default', 'Default organization') RETURNING id" |
        head -n 1
}

# bench.events(lo, hi, n, t0, span, salt): events lo..hi of n, spread evenly over
# [t0, t0 + span), every field a deterministic function of (event number, salt), so that any
# slice can be generated again identically. 20 customers, 5 API keys (2 teams + 1 key
# without a team), 10 models of 6 providers with their list prices, 3 % failures (no tokens),
# 25 % with cached prompt tokens, reasoning tokens on o3-mini, 2 % cache hits (no cost).
create_event_function() {
    local keys=() i
    for i in 1 2 3 4 5; do
        keys+=("'$(printf 'bench-litellm-key-%s' "$i" | sha256sum | cut -c1-64)'")
    done
    local key_array
    key_array=$(
        IFS=,
        echo "${keys[*]}"
    )
    sql <<SQL
CREATE SCHEMA bench;
CREATE FUNCTION bench.events(lo bigint, hi bigint, n bigint, t0 timestamptz, span interval,
                             salt bigint)
RETURNS TABLE (g bigint, idempotency_key text, occurred_at timestamptz, customer_id text,
               api_key_hash text, api_key_alias text, litellm_user_id text,
               litellm_team_id text, model_group text, provider_model text, provider text,
               status text, error_code text, prompt_tokens bigint, completion_tokens bigint,
               cached_tokens bigint, reasoning_tokens bigint, cost_usd numeric,
               cache_hit boolean, stream boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS \$\$
SELECT e.g,
       md5(salt::text || ':' || e.g)::uuid::text,
       t0 + span * ((e.g - 1)::float8 / n),
       'cust-' || lpad((1 + r.c)::text, 3, '0'),
       (ARRAY[$key_array])[1 + r.k],
       (ARRAY['prod-backend', 'prod-batch', 'staging', 'analytics', 'partner-api'])[1 + r.k],
       'user-' || (1 + r.k),
       (ARRAY['team-growth', 'team-growth', 'team-platform', 'team-platform', NULL])[1 + r.k],
       (ARRAY['gpt-4o', 'gpt-4o-mini', 'o3-mini', 'claude-sonnet', 'claude-haiku',
              'gemini-flash', 'gemini-pro', 'mistral-large', 'llama-local', 'command-r'])[1 + r.m],
       (ARRAY['openai/gpt-4o', 'openai/gpt-4o-mini', 'openai/o3-mini',
              'anthropic/claude-sonnet-4-20250514', 'anthropic/claude-3-5-haiku-20241022',
              'vertex_ai/gemini-2.0-flash', 'vertex_ai/gemini-2.5-pro',
              'mistral/mistral-large-latest', 'hosted_vllm/llama-3.1-8b-instruct',
              'cohere/command-r'])[1 + r.m],
       (ARRAY['openai', 'openai', 'openai', 'anthropic', 'anthropic', 'vertex_ai', 'vertex_ai',
              'mistral', 'hosted_vllm', 'cohere'])[1 + r.m],
       CASE WHEN r.fail THEN 'failure' ELSE 'success' END,
       CASE WHEN r.fail THEN (ARRAY['429', '500', '400'])[1 + (r.prompt % 3)::int] END,
       CASE WHEN r.fail THEN 0 ELSE r.prompt END,
       CASE WHEN r.fail THEN 0 ELSE r.completion END,
       CASE WHEN r.fail OR NOT r.cached THEN 0 ELSE r.prompt / 2 END,
       CASE WHEN r.fail OR r.m <> 2 THEN 0 ELSE r.completion / 2 END,
       CASE WHEN r.fail OR r.cache_hit THEN 0
            ELSE r.prompt * (ARRAY[0.0000025, 0.00000015, 0.0000011, 0.000003, 0.0000008,
                                   0.0000001, 0.00000125, 0.000002, 0, 0.00000015])[1 + r.m]
               + r.completion * (ARRAY[0.00001, 0.0000006, 0.0000044, 0.000015, 0.000004,
                                       0.0000004, 0.00001, 0.000006, 0, 0.0000006])[1 + r.m]
       END,
       NOT r.fail AND r.cache_hit,
       r.stream
FROM generate_series(lo, hi) AS e(g)
CROSS JOIN LATERAL (SELECT hashint8extended(e.g, salt) & 9223372036854775807 AS x) h
CROSS JOIN LATERAL (
    SELECT (h.x % 20)::int AS c, (h.x / 20 % 5)::int AS k, (h.x / 100 % 10)::int AS m,
           h.x / 1000 % 100 < 3 AS fail,
           200 + h.x / 100000 % 2800 AS prompt,
           20 + h.x / 280000000 % 780 AS completion,
           h.x / 218400000000 % 4 = 0 AS cached,
           h.x / 873600000000 % 50 = 0 AS cache_hit,
           h.x / 43680000000000 % 3 = 0 AS stream
) r
\$\$;
SQL
}

# insert_events <org> <lo> <hi> <n> <t0 sql> <span sql> <salt> <outbox target>
insert_events() {
    sql -v org="$1" -v lo="$2" -v hi="$3" -v n="$4" -v salt="$7" -v target="$8" <<SQL
INSERT INTO usage_events (organization_id, idempotency_key, occurred_at, received_at,
    customer_id, api_key_hash, api_key_alias, litellm_user_id, litellm_team_id, model_group,
    provider_model, provider, call_type, status, error_code, prompt_tokens, completion_tokens,
    total_tokens, cached_tokens, reasoning_tokens, cost_usd, cache_hit, stream)
SELECT :'org', e.idempotency_key, e.occurred_at, e.occurred_at + interval '2 seconds',
       e.customer_id, e.api_key_hash, e.api_key_alias, e.litellm_user_id, e.litellm_team_id,
       e.model_group, e.provider_model, e.provider, 'acompletion', e.status, e.error_code,
       e.prompt_tokens, e.completion_tokens, e.prompt_tokens + e.completion_tokens,
       e.cached_tokens, e.reasoning_tokens, e.cost_usd, e.cache_hit, e.stream
FROM bench.events(:lo, :hi, :n, $5, $6, :salt) e;
-- One outbox row per event, queued when the event was received (as the ingest writes it);
-- none when no target is given (events whose rollups are already written).
INSERT INTO outbox (event_id, organization_id, target, created_at, next_attempt_at)
SELECT id, organization_id, :'target', received_at, received_at
FROM usage_events WHERE organization_id = :'org' AND :'target' <> '' ORDER BY id;
SQL
}

val() { sed -n "s/^$1=//p" "$RESULTS" | tail -n 1; }

# run_generator <label> <generator args...> -- <child command...>
run_generator() {
    local label=$1
    shift
    : >"$PID_FILE"
    "$GEN" --results "$WORK/gen-$label.txt" --child-log "$WORK/tollgate-$label.log" \
        --child-pid-file "$PID_FILE" "$@" &
    GEN_PID=$!
    local status=0
    wait "$GEN_PID" || status=$?
    GEN_PID=
    stop_processes
    if [[ -s $WORK/gen-$label.txt ]]; then
        cat "$WORK/gen-$label.txt" >>"$RESULTS"
    fi
    if grep -qiE 'panic|error' "$WORK/tollgate-$label.log" 2>/dev/null; then
        log "note: tollgate logged $(grep -ciE 'panic|error' "$WORK/tollgate-$label.log") error/panic line(s) in $label, e.g.:"
        grep -iE 'panic|error' "$WORK/tollgate-$label.log" | head -n 3 >&2 || true
    fi
    if ((status != 0)); then
        log "scenario $label failed (generator exit $status); tollgate's log:"
        tail -n 30 "$WORK/tollgate-$label.log" >&2 || true
        echo "$label.failed=1" >>"$RESULTS"
    fi
}

common_env() {
    export TOLLGATE__DATABASE__URL=$DB_URL
    export TOLLGATE__LOG__LEVEL=${TOLLGATE__LOG__LEVEL:-warn}
    export TOLLGATE__DATA_DIR=$WORK/data
    mkdir -p "$WORK/data"
}

# --- d) drain ---------------------------------------------------------------------------

scenario_d() {
    echo
    echo "=== d) drain a ${DRAIN_EVENTS}-event outbox backlog into a fake OpenMeter ==="
    new_database d
    local org t
    org=$(default_org)
    create_event_function
    t=$(now_s)
    log "d: building the backlog by SQL: $DRAIN_EVENTS usage_events + outbox rows (target openmeter)"
    insert_events "$org" 1 "$DRAIN_EVENTS" "$DRAIN_EVENTS" "now() - interval '1 hour'" \
        "interval '1 hour'" 1 openmeter
    sql -c "VACUUM (ANALYZE) usage_events, outbox"
    echo "d.seed_s=$(since "$t")" >>"$RESULTS"
    echo "  backlog built in $(val d.seed_s) s (SQL, then VACUUM ANALYZE as autovacuum would have)"
    wait_quiet
    echo "d.before=$(machine_state)" >>"$RESULTS"
    echo "  machine before: $(val d.before)"
    common_env
    run_generator d --mode drain --db-url "$DB_URL" --expect "$DRAIN_EVENTS" \
        --children "$DRAIN_WORKERS" -- "$TOLLGATE_BIN" worker
    finish_database
}

# --- e) lag -----------------------------------------------------------------------------

scenario_e() {
    echo
    echo "=== e) delivery lag at a steady $LAG_RATE events/s (${LAG_BATCH}-event batches), target $LAG_TARGET ==="
    new_database e
    local port secret
    port=$(free_port) || die "no free port"
    secret=bench-$(random_hex 16)
    wait_quiet
    echo "e.before=$(machine_state)" >>"$RESULTS"
    echo "  machine before: $(val e.before)"
    common_env
    export TOLLGATE__SERVER__BIND=127.0.0.1:$port TOLLGATE__LITELLM__WEBHOOK_SECRETS=$secret
    run_generator e --mode lag --db-url "$DB_URL" --url "http://127.0.0.1:$port" \
        --secret "$secret" --rate "$LAG_RATE" --batch-size "$LAG_BATCH" \
        --duration "$LAG_DURATION" --target "$LAG_TARGET" -- "$TOLLGATE_BIN" serve
    unset TOLLGATE__SERVER__BIND TOLLGATE__LITELLM__WEBHOOK_SECRETS
    finish_database
}

# --- i) recovery -------------------------------------------------------------------------

scenario_i() {
    echo
    echo "=== i) recovery from a ${RECOVERY_OUTAGE} s OpenMeter outage at $RECOVERY_RATE events/s ==="
    new_database i
    local port secret
    port=$(free_port) || die "no free port"
    secret=bench-$(random_hex 16)
    wait_quiet
    echo "i.before=$(machine_state)" >>"$RESULTS"
    echo "  machine before: $(val i.before)"
    common_env
    # WARN lines are counted: the whole log at warn level, as an operator would see it.
    export TOLLGATE__SERVER__BIND=127.0.0.1:$port TOLLGATE__LITELLM__WEBHOOK_SECRETS=$secret
    run_generator i --mode recovery --db-url "$DB_URL" --url "http://127.0.0.1:$port" \
        --secret "$secret" --rate "$RECOVERY_RATE" --batch-size 10 --warmup 5 \
        --outage "$RECOVERY_OUTAGE" --duration 15 -- "$TOLLGATE_BIN" serve
    unset TOLLGATE__SERVER__BIND TOLLGATE__LITELLM__WEBHOOK_SECRETS
    finish_database
}

# seed_usage_rollups <org> <t0> <minute_lo>: the rollups (minute, hour, day; customer x model,
# model, and customer x key, team, provider, status) of $USAGE_EVENTS events of bench.events
# (salt 2) over 30 days from <t0>, computed by SQL as the embedded dispatcher would have added
# them up; minute rows from event <minute_lo> on.
seed_usage_rollups() {
    sql -v org="$1" -v n="$USAGE_EVENTS" -v t0="$2" -v mlo="$3" \
        -v mdays="$USAGE_MINUTE_DAYS" <<'SQL'
SET work_mem = '512MB';
SET TimeZone = 'UTC';
SELECT set_config('bench.org', :'org', false), set_config('bench.t0', :'t0', false) \gset
-- Per hour (all 30 days) and per minute (the last days) and cell: the sums of every meter,
-- what the dispatcher would have added up.
CREATE TABLE bench.cells AS
SELECT 'hour'::text AS gran, date_trunc('hour', e.occurred_at) AS b, e.customer_id,
       e.model_group, e.provider, e.api_key_hash, coalesce(e.litellm_team_id, '') AS team,
       e.status, count(*)::numeric AS requests, sum(e.prompt_tokens) AS input_tokens,
       sum(e.completion_tokens) AS output_tokens, sum(e.cached_tokens) AS cached_tokens,
       sum(e.reasoning_tokens) AS reasoning_tokens, sum(e.cost_usd) AS cost_usd,
       count(*) FILTER (WHERE e.cache_hit)::numeric AS cache_hits
FROM bench.events(1, :n, :n, :'t0', interval '30 days', 2) e
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO bench.cells
SELECT 'minute', date_trunc('minute', e.occurred_at), e.customer_id, e.model_group,
       e.provider, e.api_key_hash, coalesce(e.litellm_team_id, ''), e.status, count(*),
       sum(e.prompt_tokens), sum(e.completion_tokens), sum(e.cached_tokens),
       sum(e.reasoning_tokens), sum(e.cost_usd), count(*) FILTER (WHERE e.cache_hit)
FROM bench.events(:mlo, :n, :n, :'t0', interval '30 days', 2) e
WHERE e.occurred_at >= :'t0'::timestamptz + interval '30 days' - :mdays * interval '1 day'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
CREATE INDEX ON bench.cells (gran, b);
-- Day cells, summed from the hour cells.
INSERT INTO bench.cells
SELECT 'day', date_trunc('day', b), customer_id, model_group, provider, api_key_hash, team,
       status, sum(requests), sum(input_tokens), sum(output_tokens), sum(cached_tokens),
       sum(reasoning_tokens), sum(cost_usd), sum(cache_hits)
FROM bench.cells WHERE gran = 'hour'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
-- Written day by day (minute, hour, then day rows), so the heaps are ordered by time roughly
-- as rollups upserted over 30 days would leave them (minus their dead row versions): the
-- cells folded to customer x model, and to customer x each of key, team, provider, status.
DO $$
DECLARE
    org uuid := current_setting('bench.org')::uuid;
    first_day timestamptz := current_setting('bench.t0')::timestamptz;
    d0 timestamptz;
    g text;
BEGIN
    FOR d0 IN SELECT generate_series(first_day, first_day + interval '29 days', interval '1 day')
    LOOP
        FOREACH g IN ARRAY ARRAY['minute', 'hour', 'day'] LOOP
            INSERT INTO usage_rollups (organization_id, granularity, bucket_start, customer_id,
                model, input_tokens, output_tokens, cached_tokens, reasoning_tokens, requests,
                cost_usd, cache_hits)
            SELECT org, g, b, customer_id, model_group, sum(input_tokens), sum(output_tokens),
                   sum(cached_tokens), sum(reasoning_tokens), sum(requests), sum(cost_usd),
                   sum(cache_hits)
            FROM bench.cells
            WHERE gran = g AND b >= d0 AND b < d0 + interval '1 day'
            GROUP BY b, customer_id, model_group ORDER BY b;
            INSERT INTO usage_model_rollups (organization_id, granularity, bucket_start, model,
                input_tokens, output_tokens, cached_tokens, reasoning_tokens, requests,
                cost_usd, cache_hits)
            SELECT org, g, b, model_group, sum(input_tokens), sum(output_tokens),
                   sum(cached_tokens), sum(reasoning_tokens), sum(requests), sum(cost_usd),
                   sum(cache_hits)
            FROM bench.cells
            WHERE gran = g AND b >= d0 AND b < d0 + interval '1 day'
            GROUP BY b, model_group ORDER BY b;
            INSERT INTO usage_dimension_rollups (organization_id, dimension, granularity,
                bucket_start, customer_id, value, input_tokens, output_tokens, cached_tokens,
                reasoning_tokens, requests, cost_usd, cache_hits)
            SELECT org, d.dimension, g, c.b, c.customer_id, d.value, sum(c.input_tokens),
                   sum(c.output_tokens), sum(c.cached_tokens), sum(c.reasoning_tokens),
                   sum(c.requests), sum(c.cost_usd), sum(c.cache_hits)
            FROM bench.cells c
            CROSS JOIN LATERAL (VALUES ('key', c.api_key_hash), ('team', c.team),
                ('provider', c.provider), ('status', c.status)) d(dimension, value)
            WHERE c.gran = g AND c.b >= d0 AND c.b < d0 + interval '1 day'
            GROUP BY c.b, c.customer_id, d.dimension, d.value ORDER BY c.b;
        END LOOP;
    END LOOP;
END
$$;
SQL
}

# --- f) /api/usage ----------------------------------------------------------------------

# The cells the embedded dispatcher writes for events of <org> (usage_rollups: customer x
# model; usage_model_rollups: model over all customers, as customer '(all)';
# usage_dimension_rollups: customer x key, team, provider, status; per meter), computed
# by SQL, compared with the ones it wrote: prints "cells missing extra differ".
crosscheck_sql() {
    sql -At -F ' ' -v org="$1" <<'SQL'
SET TimeZone = 'UTC';
WITH expected AS (
    SELECT gr.granularity, date_trunc(gr.granularity, e.occurred_at) AS bucket_start,
           coalesce(e.customer_id, '') AS customer_id, d.dimension, d.value, m.meter,
           sum(m.q) AS quantity
    FROM usage_events e
    CROSS JOIN (VALUES ('minute'), ('hour'), ('day')) gr(granularity)
    CROSS JOIN LATERAL (VALUES ('model', coalesce(e.model_group, '')),
        ('key', coalesce(e.api_key_hash, '')), ('team', coalesce(e.litellm_team_id, '')),
        ('provider', coalesce(e.provider, '')), ('status', e.status)) d(dimension, value)
    CROSS JOIN LATERAL (VALUES ('input_tokens', e.prompt_tokens::numeric),
        ('output_tokens', e.completion_tokens), ('cached_tokens', e.cached_tokens),
        ('reasoning_tokens', e.reasoning_tokens), ('requests', 1), ('cost_usd', e.cost_usd),
        ('cache_hits', e.cache_hit::int)) m(meter, q)
    WHERE e.organization_id = :'org'
    GROUP BY 1, 2, 3, 4, 5, 6
), expected_all AS (
    SELECT * FROM expected
    UNION ALL
    SELECT granularity, bucket_start, '(all)', dimension, value, meter, sum(quantity)
    FROM expected WHERE dimension = 'model' GROUP BY 1, 2, 4, 5, 6
), stored AS (
    SELECT granularity, bucket_start, customer_id, 'model' AS dimension, model AS value,
           input_tokens, output_tokens, cached_tokens, reasoning_tokens, requests, cost_usd,
           cache_hits
    FROM usage_rollups WHERE organization_id = :'org'
    UNION ALL
    SELECT granularity, bucket_start, '(all)', 'model', model, input_tokens, output_tokens,
           cached_tokens, reasoning_tokens, requests, cost_usd, cache_hits
    FROM usage_model_rollups WHERE organization_id = :'org'
    UNION ALL
    SELECT granularity, bucket_start, customer_id, dimension, value, input_tokens,
           output_tokens, cached_tokens, reasoning_tokens, requests, cost_usd, cache_hits
    FROM usage_dimension_rollups WHERE organization_id = :'org'
), actual AS (
    SELECT granularity, bucket_start, customer_id, dimension, value, m.meter, m.quantity
    FROM stored CROSS JOIN LATERAL (VALUES ('input_tokens', input_tokens),
        ('output_tokens', output_tokens), ('cached_tokens', cached_tokens),
        ('reasoning_tokens', reasoning_tokens), ('requests', requests), ('cost_usd', cost_usd),
        ('cache_hits', cache_hits)) m(meter, quantity)
)
SELECT count(*),
       count(*) FILTER (WHERE a.quantity IS NULL),
       count(*) FILTER (WHERE x.quantity IS NULL),
       count(*) FILTER (WHERE a.quantity <> x.quantity)
FROM expected_all x
FULL JOIN actual a USING (granularity, bucket_start, customer_id, dimension, value, meter);
SQL
}

scenario_f() {
    echo
    echo "=== f) GET /api/usage over 30 days of rollups for $USAGE_EVENTS events ==="
    new_database f
    local org org2 t key port t0 t_end minute_lo
    org=$(default_org)
    create_event_function
    key=tg_live_bench-usage-read-$(random_hex 16)
    sql -v org="$org" -v key="$key" <<'SQL' >/dev/null
INSERT INTO api_keys (id, organization_id, name, display_prefix, secret_sha256, scopes, created_by)
VALUES (gen_random_uuid(), :'org', 'bench', 'tg_live_benc', sha256(convert_to(:'key', 'UTF8')),
        '{usage:read}', 'bench');
SQL
    t0=$(sql -At -c "SELECT to_char(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '30 days', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
    t_end=$(sql -At -c "SELECT to_char(date_trunc('day', now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
    # First event inside the minute-rollup days (events are evenly spread over 30 days).
    minute_lo=$(awk -v n="$USAGE_EVENTS" -v d="$USAGE_MINUTE_DAYS" 'BEGIN {
        lo = int(n * (30 - d) / 30); if (lo < 1) lo = 1; print lo }')
    t=$(now_s)
    log "f: computing the rollups of $USAGE_EVENTS events by SQL (hour and day for 30 days, minute for the last $USAGE_MINUTE_DAYS)"
    seed_usage_rollups "$org" "$t0" "$minute_lo"
    echo "f.seed_s=$(since "$t")" >>"$RESULTS"
    if ((CROSSCHECK_EVENTS > 0)); then
        # Real events of a second organization, left for Tollgate's embedded dispatcher.
        org2=$(sql -At -c "INSERT INTO organizations (id, slug, name)
                           VALUES (gen_random_uuid(), 'crosscheck', 'Cross-check')
                           RETURNING id" | head -n 1)
        insert_events "$org2" 1 "$CROSSCHECK_EVENTS" "$CROSSCHECK_EVENTS" "'$t0'::timestamptz" \
            "interval '30 days'" 3 embedded_meter
    fi
    t=$(now_s)
    sql -c "DROP TABLE bench.cells CASCADE" -c "VACUUM (ANALYZE)" >/dev/null
    echo "f.vacuum_s=$(since "$t")" >>"$RESULTS"
    sql -At -F ' ' -c "SELECT 'usage_rollups', granularity, count(*) FROM usage_rollups GROUP BY 1, 2
                       UNION ALL
                       SELECT 'usage_model_rollups', granularity, count(*)
                       FROM usage_model_rollups GROUP BY 1, 2
                       UNION ALL
                       SELECT 'usage_dimension_rollups', granularity, count(*)
                       FROM usage_dimension_rollups GROUP BY 1, 2 ORDER BY 1, 2" \
        >"$WORK/rollup-counts.txt"
    echo "f.rollup_rows=$(awk '{ printf "%s%s %s %s", (NR > 1 ? ", " : ""), $1, $3, $2 }' "$WORK/rollup-counts.txt")" >>"$RESULTS"
    echo "f.table_size=$(sql -At -c "SELECT 'usage_rollups ' || pg_size_pretty(pg_total_relation_size('usage_rollups'))
        || ', usage_model_rollups ' || pg_size_pretty(pg_total_relation_size('usage_model_rollups'))
        || ', usage_dimension_rollups ' || pg_size_pretty(pg_total_relation_size('usage_dimension_rollups'))")" >>"$RESULTS"
    echo "  rollups computed by SQL from $USAGE_EVENTS events in $(val f.seed_s) s (+ $(val f.vacuum_s) s VACUUM ANALYZE):"
    echo "  $(val f.rollup_rows) rows; with their indexes $(val f.table_size)"
    wait_quiet
    echo "f.before=$(machine_state)" >>"$RESULTS"
    echo "  machine before: $(val f.before)"
    port=$(free_port) || die "no free port"
    common_env
    local wait_pending=()
    ((CROSSCHECK_EVENTS > 0)) && wait_pending=(--wait-pending)
    local secret
    secret=bench-$(random_hex 8)
    export TOLLGATE__SERVER__BIND=127.0.0.1:$port TOLLGATE__LITELLM__WEBHOOK_SECRETS=$secret
    run_generator f --mode usage --db-url "$DB_URL" --url "http://127.0.0.1:$port" \
        --api-key "$key" --from "$t0" --to "$t_end" --requests "$USAGE_REQUESTS" \
        --expect-requests "$USAGE_EVENTS" "${wait_pending[@]}" -- "$TOLLGATE_BIN" serve
    unset TOLLGATE__SERVER__BIND TOLLGATE__LITELLM__WEBHOOK_SECRETS
    if ((CROSSCHECK_EVENTS > 0)); then
        local check
        check=$(crosscheck_sql "$org2" | tail -n 1)
        echo "f.crosscheck=$check" >>"$RESULTS"
        read -r rows missing extra differ <<<"$check"
        echo "  cross-check: the embedded dispatcher's rollups of $CROSSCHECK_EVENTS real events vs the same"
        echo "  cells computed by SQL (customer x model, x key, x team, x provider, x status, per meter):"
        echo "  $rows cells, $missing missing, $extra extra, $differ differ"
    fi
    explain_usage "$org" "$t0" "$t_end"
    finish_database
}

# EXPLAIN (ANALYZE, BUFFERS) of the reader's statement (crates/adapters/src/postgres/
# usage_reader.rs: which table and dimension each group_by reads) for each shape of the
# generator (crates/http/benches/metering_load/usage.rs), with the values it binds.
explain_usage() {
    local org=$1 from=$2 to=$3 hour_from
    hour_from=$(sql -At -c "SELECT to_char('$to'::timestamptz AT TIME ZONE 'UTC' - interval '7 days', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
    local window lo shape group customer table dimension grp filter
    echo
    echo "  EXPLAIN (ANALYZE, BUFFERS) of the usage reader's query per shape (plan in $DB_NAME):"
    for window in day hour; do
        [[ $window == day ]] && lo=$from || lo=$hour_from
        for shape in total by_model by_customer by_key by_team by_provider by_status \
            one_customer one_customer_by_key; do
            group=${shape#by_}
            customer=NULL
            case $shape in
                total) group= ;;
                one_customer) group= customer="'cust-007'" ;;
                one_customer_by_key) group=key customer="'cust-007'" ;;
            esac
            table=usage_dimension_rollups dimension="dimension = 'status' AND"
            filter="($customer::text IS NULL OR customer_id = $customer)"
            case $group in
                '') grp="''" ;;
                customer) grp=customer_id ;;
                model) table=usage_rollups dimension= grp=model ;;
                *) dimension="dimension = '$group' AND" grp=value ;;
            esac
            # All customers' totals and models: the customer-less model rollups.
            if [[ $customer == NULL && ($group == '' || $group == model) ]]; then
                table=usage_model_rollups dimension= filter=TRUE
            fi
            {
                echo "--- ${window}_$shape"
                sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
                    SELECT $grp AS grp, date_trunc('$window', bucket_start, 'UTC') AS window_start,
                           sum(input_tokens)::text, sum(output_tokens)::text,
                           sum(cached_tokens)::text, sum(reasoning_tokens)::text,
                           sum(requests)::text, sum(cost_usd)::text, sum(cache_hits)::text
                    FROM $table
                    WHERE organization_id = '$org' AND $dimension granularity = '$window'
                      AND bucket_start >= '$lo' AND bucket_start < '$to'
                      AND $filter
                    GROUP BY 1, 2 ORDER BY 1, 2"
            } >>"$WORK/explain.txt" 2>&1 || true
        done
    done
    sed 's/^/    /' "$WORK/explain.txt"
}

# shellcheck source=tests/bench/metering_pages.sh
source "$REPO_ROOT/tests/bench/metering_pages.sh"

# --- run ----------------------------------------------------------------------------------

CORES=$(nproc)
echo "=== Tollgate metering bench: $(uname -m), $CORES cores; before: $(machine_state) ==="
IFS=, read -r -a wanted <<<"$SCENARIOS"
for s in "${wanted[@]}"; do
    case ${s// /} in
        d) scenario_d ;;
        e) scenario_e ;;
        f) scenario_f ;;
        i) scenario_i ;;
        p) scenario_p ;;
        '') ;;
        *) die "unknown metering scenario $s (use d, e, f, i, p)" ;;
    esac
done

# --- summary ------------------------------------------------------------------------------

missed=0
verdict() {
    if [[ $1 == 1 ]]; then
        VERDICT=ok
    else
        VERDICT=MISSED
        missed=$((missed + 1))
    fi
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a + 0 >= b + 0) ? 1 : 0 }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a + 0 >= 0 && a + 0 <= b + 0) ? 1 : 0 }'; }
row() { printf '  %-52s %-58s %-22s %s\n' "$@"; }

echo
echo "=== Tollgate metering bench summary: $(uname -m), $CORES cores, PostgreSQL on the same machine; after: $(machine_state) ==="
row "scenario" "measured" "target" "verdict"
if [[ -n $(val d.events_per_s) ]]; then
    verdict "$(ge "$(val d.events_per_s)" "$TARGET_D")"
    row "d) drain $(val d.events)-event backlog, $(val d.workers) worker(s)" \
        "$(val d.events_per_s) ev/s ($(val d.seconds) s; after 1st batch $(val d.steady_events_per_s) ev/s)" \
        ">= $TARGET_D ev/s" "$VERDICT"
    row "" "OpenMeter fake: $(val d.requests) POSTs, $(val d.fake_distinct) distinct, $(val d.dead) dead" "" ""
elif [[ -n $(val d.failed) ]]; then
    verdict 0
    row "d) drain backlog" "failed (see above)" ">= $TARGET_D ev/s" "$VERDICT"
fi
if [[ -n $(val e.p99_s) ]]; then
    ok=$(le "$(val e.p99_s)" "$TARGET_E_P99_S")
    [[ $(val e.undelivered) == 0 && $(val e.errors) == 0 ]] || ok=0
    verdict "$ok"
    row "e) lag at $(val e.rate) ev/s, $(val e.batch)-event POSTs, $(val e.target)" \
        "p50 $(val e.p50_s) s, p99 $(val e.p99_s) s, max $(val e.max_s) s ($(val e.rows) rows)" \
        "p99 <= $TARGET_E_P99_S s" "$VERDICT"
    row "" "ingest $(val e.events_per_s) ev/s, POST p99 $(val e.post_p99_ms) ms, errors $(val e.errors)" "" ""
elif [[ -n $(val e.failed) ]]; then
    verdict 0
    row "e) lag" "failed (see above)" "p99 <= $TARGET_E_P99_S s" "$VERDICT"
fi
for window in day hour; do
    for shape in total by_model by_customer by_key by_team by_provider by_status one_customer \
        one_customer_by_key; do
        p95=$(val "f.${window}_$shape.p95_ms")
        [[ -n $p95 ]] || continue
        ok=$(le "$p95" "$TARGET_F_P95_MS")
        [[ $(val "f.${window}_$shape.errors") == 0 ]] || ok=0
        verdict "$ok"
        [[ $window == day ]] && label="DAY, 30 days" || label="HOUR, 7 days"
        case $shape in
            total) ;;
            one_customer) label="$label, customer=cust-007" ;;
            one_customer_by_key) label="$label, customer=cust-007, group_by=key" ;;
            *) label="$label, group_by=${shape#by_}" ;;
        esac
        row "f) /api/usage $label" \
            "p50 $(val "f.${window}_$shape.p50_ms") ms, p95 $p95 ms, max $(val "f.${window}_$shape.max_ms") ms (n $(val "f.${window}_$shape.n"))" \
            "p95 <= $TARGET_F_P95_MS ms" "$VERDICT"
    done
done
if [[ -n $(val f.failed) ]]; then
    verdict 0
    row "f) /api/usage" "failed (see above)" "p95 <= $TARGET_F_P95_MS ms" "$VERDICT"
fi
if [[ -n $(val f.rollup_rows) ]]; then
    echo "  f) data: rollups computed by SQL from $USAGE_EVENTS synthetic events (not ingested): $(val f.rollup_rows) rows"
    [[ -z $(val f.crosscheck) ]] ||
        echo "     cross-check vs Tollgate's own rollups of $CROSSCHECK_EVENTS events (cells missing extra differ): $(val f.crosscheck)"
fi
if [[ -n $(val i.drain_s) ]]; then
    ok=$(le "$(val i.drain_s)" "$TARGET_I_DRAIN_S")
    [[ $(val i.lost) == 0 && $(val i.dead) == 0 ]] || ok=0
    verdict "$ok"
    row "i) $(val i.outage_s) s OpenMeter outage at $(val i.rate) ev/s" \
        "backlog delivered $(val i.drain_s) s after the 1st success" \
        "<= $TARGET_I_DRAIN_S s" "$VERDICT"
    row "" "at recovery $(val i.backlog) rows, furthest due $(val i.ahead_s) s ahead" "" ""
    row "" "$(val i.calls) calls to the dead target, $(val i.warn_lines) WARN lines" "" ""
    row "" "1st success $(val i.first_success_s) s after it was back; $(val i.lost) lost, $(val i.dead) dead" "" ""
elif [[ -n $(val i.failed) ]]; then
    verdict 0
    row "i) recovery" "failed (see above)" "<= $TARGET_I_DRAIN_S s" "$VERDICT"
fi
summary_p
echo "  machine before each scenario: d: $(val d.before); e: $(val e.before); f: $(val f.before); i: $(val i.before); p: $(val p.before)"
echo "  cpu during each measured window ($((CORES * 100))% = all cores; postgres = every postgres process on the machine):"
for s in d e f; do
    g=$(val "$s.cpu_generator_pct")
    [[ -n $g ]] || continue
    other=$(awk -v m="$(val "$s.cpu_machine_pct")" -v g="$g" -v c="$(val "$s.cpu_child_pct")" \
        -v p="$(val "$s.cpu_postgres_pct")" 'BEGIN { o = m - g - c - p; printf "%.0f", (o < 0) ? 0 : o }')
    printf '    %s: generator %s%%, tollgate %s%%, postgres %s%%, other processes %s%%, whole machine %s%%\n' \
        "$s" "$g" "$(val "$s.cpu_child_pct")" "$(val "$s.cpu_postgres_pct")" "$other" \
        "$(val "$s.cpu_machine_pct")"
done
if [[ $missed == 0 ]]; then
    echo "=== all metering targets met ==="
else
    echo "=== $missed metering target(s) missed ==="
    if [[ ${TOLLGATE_BENCH_STRICT:-0} == 1 ]]; then
        exit 3
    fi
fi
