#!/usr/bin/env bash
# Month-close benchmark (`make bench`, after the metering benches; or alone).
#
# On a fresh database migrated by a release build of Tollgate, tests/bench/period_close.sql
# writes 10,000 customers and subscriptions on 4 plans of different pricing models (1,000 of
# them upgrading mid-month) and embedded rollups standing for 10,000,000 January events;
# then `tollgate billing close --at 2026-02-01T02:00:00Z` closes January: one closing invoice
# per subscription (finalized and numbered, lines, cursor, audit record) plus the opening
# invoices of the in-advance plan. Prints the close's wall time and invoices/s:
#   g) close a month: 10,000 subscriptions, 10,000,000 events      < 60 s on 2 cores
#
# Usage: bash tests/bench/period_close.sh
#
# Environment:
#   TEST_DATABASE_URL                 admin URL (may CREATE DATABASE); default: the one
#                                     printed by deploy/dev/ensure-postgres.sh
#   TOLLGATE_BENCH_CLOSE_CUSTOMERS    subscriptions (default 10000)
#   TOLLGATE_BENCH_CLOSE_EVENTS       events per customer (default 1000)
#   TOLLGATE_BENCH_CLOSE_BATCH        subscriptions per transaction (default: billing.close_batch)
#   TOLLGATE_BENCH_CLOSE_CLOSERS      closers run at once (default 1; they share the work)
#   TOLLGATE_BENCH_STRICT=1           exit 3 when the target is missed
#   TOLLGATE_BENCH_KEEP_DB=1          keep the database
#   TOLLGATE_BENCH_STUB=1             skip
#
# Exit status: 0 when the bench ran, 1 when it could not run.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$REPO_ROOT"

CUSTOMERS=${TOLLGATE_BENCH_CLOSE_CUSTOMERS:-10000}
EVENTS=${TOLLGATE_BENCH_CLOSE_EVENTS:-1000}
CLOSERS=${TOLLGATE_BENCH_CLOSE_CLOSERS:-1}
TARGET_S=60

log() { printf 'close bench: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

if [[ ${TOLLGATE_BENCH_STUB:-0} == 1 ]]; then
    log "TOLLGATE_BENCH_STUB=1: skipping the month-close benchmark"
    exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-close-bench.XXXXXX")
ADMIN_URL=
DB=

cleanup() {
    local status=$?
    if [[ -n $DB ]]; then
        if [[ ${TOLLGATE_BENCH_KEEP_DB:-0} == 1 ]]; then
            log "kept database $DB"
        else
            psql -X -q -d "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" \
                >/dev/null 2>&1 || log "warning: could not drop database $DB"
        fi
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

with_database() {
    local url=$1 db=$2
    [[ $url =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]] ||
        die "cannot parse database URL (expected postgres://...)"
    printf '%s/%s%s\n' "${BASH_REMATCH[1]}" "$db" "${BASH_REMATCH[4]}"
}
now_s() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.2f", b - a }'; }

command -v psql >/dev/null || die "psql not found (apt-get install postgresql-client)"
log "building tollgate (release)"
cargo build --release -p tollgate-http --bin tollgate || die "building tollgate failed"
TOLLGATE_BIN=${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/tollgate
[[ -x $TOLLGATE_BIN ]] || die "$TOLLGATE_BIN missing after build"

ADMIN_URL=${TEST_DATABASE_URL:-$(bash deploy/dev/ensure-postgres.sh)}
DB=tollgate_bench_close_$$
psql -X -q -d "$ADMIN_URL" -c "CREATE DATABASE \"$DB\"" >/dev/null || die "cannot create $DB"
URL=$(with_database "$ADMIN_URL" "$DB")
export TOLLGATE__DATABASE__URL=$URL TOLLGATE__LOG__LEVEL=${TOLLGATE__LOG__LEVEL:-warn}
if [[ -n ${TOLLGATE_BENCH_CLOSE_BATCH:-} ]]; then
    export TOLLGATE__BILLING__CLOSE_BATCH=$TOLLGATE_BENCH_CLOSE_BATCH
fi
"$TOLLGATE_BIN" migrate >/dev/null || die "migrating $DB failed"

log "writing $CUSTOMERS subscriptions and rollups for $((CUSTOMERS * EVENTS)) events"
started=$(now_s)
psql -X -q -d "$URL" -v customers="$CUSTOMERS" -v events_per_customer="$EVENTS" \
    -f tests/bench/period_close.sql >/dev/null || die "the data set could not be written"
log "data written in $(since "$started") s"
psql -X -q -d "$URL" -c "CHECKPOINT" >/dev/null 2>&1 || true

log "closing January with $CLOSERS closer(s)"
started=$(now_s)
pids=()
for ((i = 0; i < CLOSERS; i++)); do
    "$TOLLGATE_BIN" billing close --at 2026-02-01T02:00:00Z >"$WORK/close.$i.json" &
    pids+=($!)
done
for pid in "${pids[@]}"; do
    wait "$pid" || die "a closer failed"
done
seconds=$(since "$started")

read -r invoices opening closing advanced events_billed total < <(psql -X -At -F ' ' -d "$URL" -c "
    SELECT (SELECT count(*) FROM billing_invoices),
           (SELECT count(*) FROM billing_invoices WHERE kind = 'opening'),
           (SELECT count(*) FROM billing_invoices WHERE kind = 'closing'),
           (SELECT count(*) FROM billing_subscriptions
             WHERE invoiced_through = '2026-02-01T00:00:00Z'),
           (SELECT sum(r.requests) FROM usage_rollups r WHERE granularity = 'day'),
           (SELECT sum(total) FROM billing_invoices)")
rate=$(awk -v n="$invoices" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0) ? n / s : 0 }')
for ((i = 0; i < CLOSERS; i++)); do log "closer $i: $(cat "$WORK/close.$i.json")"; done

cat <<EOF

Month close (g), $(nproc) cores, PostgreSQL on the same machine
  subscriptions          $CUSTOMERS (periods closed: $advanced)
  events in the rollups  $events_billed
  invoices written       $invoices ($closing closing, $opening opening), total billed $total USD
  close wall time        $seconds s  (target < $TARGET_S s)
  invoices/s             $rate
EOF

[[ $advanced == "$CUSTOMERS" && $closing == "$CUSTOMERS" ]] ||
    die "expected $CUSTOMERS closed periods and closing invoices"
if [[ ${TOLLGATE_BENCH_STRICT:-0} == 1 ]] &&
    awk -v s="$seconds" -v t="$TARGET_S" 'BEGIN { exit !(s >= t) }'; then
    log "target missed"
    exit 3
fi
