#!/usr/bin/env bash
# Ingest load benchmark (`make bench`).
#
# Starts a release build of Tollgate against a fresh PostgreSQL database and
# drives its LiteLLM webhook with the repo's own load generator
# (crates/http/benches/ingest_load.rs), then prints a summary with the targets:
#   a) 100-event JSON-array batches, 4 connections   >= 10,000 events/s
#   b) single-event requests, 64 connections         >= 3,000 events/s, p99 <= 50 ms
#   c) 100 % duplicates, single events, 64 conns     >= 2x (b)
#   peak RSS of Tollgate (VmHWM)                      <= 150 MB
#
# Usage: bash tests/bench/run.sh [generator options...]
#   e.g. bash tests/bench/run.sh --duration 5 --scenarios a,b
#   (all options: cargo bench -p tollgate-http --bench ingest_load -- --help)
#
# Environment:
#   TEST_DATABASE_URL          admin URL (may CREATE DATABASE); default: the
#                              one printed by deploy/dev/ensure-postgres.sh
#   TOLLGATE_BENCH_DURATION    measured seconds per scenario (default 15)
#   TOLLGATE_BENCH_WARMUP      warm-up seconds per scenario (default 3)
#   TOLLGATE_BENCH_SCENARIOS   e.g. "a,b,c" (default)
#   TOLLGATE_BENCH_STUB=1      drive the generator's trivial 202 receiver
#                              instead of Tollgate (no database, no server
#                              build): measures the generator alone
#   TOLLGATE_BENCH_STRICT=1    exit 3 when a target is missed
#   TOLLGATE_BENCH_KEEP_DB=1   do not drop the database afterwards
#   TOLLGATE_BENCH_GENERATOR   path of a prebuilt generator (skips its build)
#
# Exit status: 0 when the bench ran (targets are reported, not enforced unless
# TOLLGATE_BENCH_STRICT=1), 1 when it could not run.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$REPO_ROOT"

STUB=${TOLLGATE_BENCH_STUB:-0}
TARGET_A=10000
TARGET_B=3000
TARGET_B_P99_MS=50
TARGET_C_FACTOR=2
TARGET_RSS_MB=150

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-bench.XXXXXX")
SERVER_PID=
ADMIN_URL=
DB_NAME=
SERVER_LOG=$WORK/server.log

cleanup() {
    local status=$?
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        local i
        for ((i = 0; i < 150; i++)); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server did not stop within 15 s of SIGTERM; killing it"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -n $DB_NAME && ${TOLLGATE_BENCH_KEEP_DB:-0} != 1 ]]; then
        psql -X -q -v ON_ERROR_STOP=1 -d "$ADMIN_URL" \
            -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 ||
            log "warning: could not drop database $DB_NAME"
    elif [[ -n $DB_NAME ]]; then
        log "kept database $DB_NAME"
    fi
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

# URL with its database (path) replaced: postgres://u@h:p/old?x=y -> .../new?x=y
with_database() {
    local url=$1 db=$2
    [[ $url =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]] ||
        die "cannot parse database URL (expected postgres://...)"
    printf '%s/%s%s\n' "${BASH_REMATCH[1]}" "$db" "${BASH_REMATCH[4]}"
}

# Waits until GET $1/readyz answers 200 (or the server dies / 90 s pass).
wait_ready() {
    local base=$1 i
    for ((i = 0; i < 900; i++)); do
        if [[ -n $SERVER_PID ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server exited before becoming ready; its log:"
            tail -n 40 "$SERVER_LOG" >&2 || true
            return 1
        fi
        if curl -fsS -o /dev/null --max-time 2 "$base/readyz" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    log "server not ready after 90 s; its log:"
    tail -n 40 "$SERVER_LOG" >&2 || true
    return 1
}

# --- build ------------------------------------------------------------------

if [[ -n ${TOLLGATE_BENCH_GENERATOR:-} ]]; then
    GEN=$TOLLGATE_BENCH_GENERATOR
else
    log "building the load generator (release)"
    GEN=$(cargo bench -p tollgate-http --bench ingest_load --no-run --message-format=json |
        sed -n 's/.*"executable":"\([^"]*ingest_load[^"]*\)".*/\1/p' | tail -n 1) || true
fi
[[ -n $GEN && -x $GEN ]] || die "building the load generator failed"

if [[ $STUB != 1 ]]; then
    log "building tollgate (release)"
    cargo build --release -p tollgate-http --bin tollgate ||
        die "building tollgate failed"
    TOLLGATE_BIN=$REPO_ROOT/target/release/tollgate
    [[ -x $TOLLGATE_BIN ]] || die "$TOLLGATE_BIN missing after build"
fi

# --- database -----------------------------------------------------------------

if [[ $STUB != 1 ]]; then
    have_psql=$(command -v psql || true)
    [[ -n $have_psql ]] || die "psql not found (apt-get install postgresql-client)"
    if [[ -n ${TEST_DATABASE_URL:-} ]]; then
        ADMIN_URL=$TEST_DATABASE_URL
    else
        ADMIN_URL=$(bash deploy/dev/ensure-postgres.sh) || die "deploy/dev/ensure-postgres.sh failed"
    fi
    [[ -n $ADMIN_URL ]] || die "no admin database URL"
    DB_NAME=tollgate_bench_$(random_hex 6)
    log "creating database $DB_NAME"
    psql -X -q -v ON_ERROR_STOP=1 -d "$ADMIN_URL" -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null ||
        {
            DB_NAME=
            die "could not create the bench database"
        }
    DB_URL=$(with_database "$ADMIN_URL" "$DB_NAME")
fi

# --- server -------------------------------------------------------------------

PORT=$(free_port) || die "no free port"
SECRET=bench-$(random_hex 16)
BASE=http://127.0.0.1:$PORT

if [[ $STUB == 1 ]]; then
    log "starting the generator's stub receiver on 127.0.0.1:$PORT (TOLLGATE_BENCH_STUB=1)"
    "$GEN" --serve-stub "127.0.0.1:$PORT" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    SERVER_NAME="stub receiver"
else
    log "starting tollgate on 127.0.0.1:$PORT"
    TOLLGATE__DATABASE__URL=$DB_URL \
        TOLLGATE__SERVER__BIND=127.0.0.1:$PORT \
        TOLLGATE__LITELLM__WEBHOOK_SECRETS=$SECRET \
        TOLLGATE__LOG__LEVEL=warn \
        TOLLGATE__DATA_DIR=$WORK/data \
        "$TOLLGATE_BIN" serve >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    SERVER_NAME=tollgate
fi
wait_ready "$BASE" || die "$SERVER_NAME did not become ready"
log "$SERVER_NAME ready (pid $SERVER_PID)"

# --- load ---------------------------------------------------------------------

# How busy is the machine without us? (1 s sample; load averages lag behind.)
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
CORES=$(nproc)
BUSY_BEFORE=$(cpu_busy_pct)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if ((BUSY_BEFORE > 15)); then
    log "warning: the machine is already ${BUSY_BEFORE}% busy (of $((CORES * 100))%) before the bench: other work will skew the figures"
fi

RESULTS=$WORK/results.txt
"$GEN" --url "$BASE" --secret "$SECRET" --server-pid "$SERVER_PID" --results "$RESULTS" "$@" ||
    die "load generator failed"

HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || true)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "warning: $SERVER_NAME died during the bench; its log:"
    tail -n 40 "$SERVER_LOG" >&2 || true
fi
if grep -qiE 'error|panic' "$SERVER_LOG" 2>/dev/null; then
    log "note: $SERVER_NAME logged $(grep -ciE 'error|panic' "$SERVER_LOG") error/panic line(s), e.g.:"
    grep -iE 'error|panic' "$SERVER_LOG" | head -n 3 >&2 || true
fi

# --- summary ------------------------------------------------------------------

val() { sed -n "s/^$1=//p" "$RESULTS" | tail -n 1; }
missed=0
VERDICT=
verdict() { # verdict <ok 0|1>: sets VERDICT, counts misses (no subshell!)
    if [[ $1 == 1 ]]; then
        VERDICT=ok
    else
        missed=$((missed + 1))
        VERDICT=MISSED
    fi
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 >= b + 0) ? 1 : 0 }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 <= b + 0) ? 1 : 0 }'; }

row() { printf '  %-44s %-52s %-28s %s\n' "$@"; }

echo
echo "=== Tollgate ingest bench: $SERVER_NAME, $(uname -m), $CORES cores; before: cpu ${BUSY_BEFORE}% busy, load $LOAD_BEFORE; after: load $LOAD_AFTER ==="
if [[ $STUB == 1 ]]; then
    echo "  (stub receiver: these figures are the generator's own ceiling, not Tollgate's)"
fi
row "scenario" "measured" "target" "verdict"
for s in a b c; do
    eps=$(val "$s.events_per_s")
    [[ -n $eps ]] || continue
    p50=$(val "$s.p50_ms")
    p99=$(val "$s.p99_ms")
    errs=$(val "$s.errors")
    unexpected=$(val "$s.unexpected")
    measured="$eps ev/s, p50 $p50 ms, p99 $p99 ms"
    case $s in
        a)
            target=">= $TARGET_A ev/s"
            ok=$(ge "$eps" "$TARGET_A")
            ;;
        b)
            target=">= $TARGET_B ev/s, p99 <= $TARGET_B_P99_MS ms"
            ok=$(($(ge "$eps" "$TARGET_B") & $(le "$p99" "$TARGET_B_P99_MS")))
            ;;
        c)
            b_eps=$(val b.events_per_s)
            if [[ -n $b_eps ]]; then
                need=$(awk -v b="$b_eps" -v f="$TARGET_C_FACTOR" 'BEGIN { printf "%.0f", b * f }')
                ratio=$(awk -v c="$eps" -v b="$b_eps" 'BEGIN { printf "%.2f", (b > 0) ? c / b : 0 }')
                measured="$measured (${ratio}x b)"
                target=">= ${TARGET_C_FACTOR}x b = $need ev/s"
                ok=$(ge "$eps" "$need")
            else
                target=">= ${TARGET_C_FACTOR}x b (b not run)"
                ok=1
            fi
            ;;
    esac
    [[ ${errs:-0} == 0 ]] || ok=0
    verdict "$ok"
    row "$s) $(val "$s.label")" "$measured" "$target" "$VERDICT"
    row "" "errors $errs, unexpected acks $unexpected" "errors 0" ""
done
if [[ -n $HWM_KB ]]; then
    hwm_mb=$(awk -v k="$HWM_KB" 'BEGIN { printf "%.1f", k / 1024 }')
    verdict "$(le "$hwm_mb" "$TARGET_RSS_MB")"
    row "peak RSS of $SERVER_NAME (VmHWM)" "$hwm_mb MB" "<= $TARGET_RSS_MB MB" "$VERDICT"
else
    verdict 0
    row "peak RSS of $SERVER_NAME (VmHWM)" "n/a (process gone)" "<= $TARGET_RSS_MB MB" "$VERDICT"
fi
echo "  cpu during each measured window ($((CORES * 100))% = all cores; postgres = every postgres process on the machine):"
for s in a b c; do
    g=$(val "$s.cpu_generator_pct")
    [[ -n $g ]] || continue
    printf '    %s: generator %s%%, %s %s%%, postgres %s%%, whole machine %s%%\n' "$s" "$g" \
        "$SERVER_NAME" "$(val "$s.cpu_server_pct")" "$(val "$s.cpu_postgres_pct")" "$(val "$s.cpu_machine_pct")"
done
if [[ $missed == 0 ]]; then
    echo "=== all targets met ==="
else
    echo "=== $missed target(s) missed ==="
    if [[ ${TOLLGATE_BENCH_STRICT:-0} == 1 ]]; then
        exit 3
    fi
fi

# Then the metering benchmarks (d, e, f: tests/bench/metering.sh), without this server: its
# dispatcher would still be rolling up the events above and skew them.
if [[ $STUB != 1 ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    bash "$REPO_ROOT/tests/bench/metering.sh"
fi
