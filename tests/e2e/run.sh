#!/usr/bin/env bash
# End-to-end test: the REAL LiteLLM proxy (mock deployments, no real provider) reports every call
# to a real Tollgate server by webhook; we then check in PostgreSQL that Tollgate stored exactly
# the expected usage events. Called by `make e2e`; see tests/e2e/README.md.
#
# Environment:
#   TEST_DATABASE_URL  admin URL of a PostgreSQL server (a role allowed to CREATE DATABASE);
#                      default: the URL printed by deploy/dev/ensure-postgres.sh
#   TOLLGATE_BIN       use this Tollgate binary instead of building target/debug/tollgate
#   E2E_KEEP_DB=1      keep the tollgate_e2e_* database after the run (for debugging)
#
# Everything it makes lives under target/e2e/: the virtualenv (venv/, reused while it holds
# litellm==$LITELLM_VERSION) and the last run's files (run/: logs, proxy config, expectations,
# pg_dump of the database).
set -euo pipefail

readonly LITELLM_VERSION=1.108.7
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
readonly ROOT
readonly HERE=$ROOT/tests/e2e
readonly E2E_DIR=$ROOT/target/e2e
readonly VENV=$E2E_DIR/venv
readonly RUN_DIR=$E2E_DIR/run
readonly PY=$VENV/bin/python

STAGE=setup
TOLLGATE_PID=
LITELLM_PID=
ADMIN_URL=
DB_NAME=
CHECK_DONE=0
INTERRUPTED=0

say() { printf 'e2e: %s\n' "$*"; }
fail() {
    say "error: $*" >&2
    exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
as_root() {
    if [[ $(id -u) == 0 ]]; then "$@"; else sudo -n "$@"; fi
}
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# Stop one process we started: TERM, up to 10 s grace, then KILL.
stop_pid() {
    local pid=$1 i
    [[ -n $pid ]] || return 0
    kill -0 "$pid" 2>/dev/null || {
        wait "$pid" 2>/dev/null || true
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    stop_pid "$LITELLM_PID"
    LITELLM_PID=
    stop_pid "$TOLLGATE_PID"
    TOLLGATE_PID=
    if [[ -n $DB_NAME ]]; then
        if [[ ${E2E_KEEP_DB:-} == 1 ]]; then
            say "keeping database $DB_NAME (E2E_KEEP_DB=1)" >&2
        else
            psql "$ADMIN_URL" -X -q -v ON_ERROR_STOP=1 \
                -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 ||
                say "warning: could not drop database $DB_NAME" >&2
        fi
        DB_NAME=
    fi
}

show_logs() {
    local f
    for f in "$RUN_DIR/tollgate.log" "$RUN_DIR/litellm.log"; do
        [[ -s $f ]] || continue
        printf '\n----- last lines of %s -----\n' "${f#"$ROOT"/}"
        tail -n 40 "$f"
    done
    printf '\n'
}

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if ((rc != 0)); then
        show_logs
        cleanup
        if ((INTERRUPTED)); then
            say "interrupted during: $STAGE"
            say "0 passed, 1 failed"
        elif ((CHECK_DONE == 0)); then
            say "FAILED during: $STAGE (files in ${RUN_DIR#"$ROOT"/}/)"
            say "0 passed, 1 failed"
        else
            say "FAILED (files in ${RUN_DIR#"$ROOT"/}/)"
            tail -n 1 "$RUN_DIR/check.txt"
        fi
    else
        cleanup
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'INTERRUPTED=1; exit 130' INT
trap 'INTERRUPTED=1; exit 143' TERM

T0=$SECONDS
cd "$ROOT"

# --- 1. Python virtualenv with the pinned LiteLLM proxy ----------------------------------------
STAGE="python virtualenv"
if ! have python3 || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    say "installing python3 and python3-venv (apt-get)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
fi
mkdir -p "$E2E_DIR"
readonly STAMP=$VENV/.e2e-litellm-$LITELLM_VERSION
if [[ -f $STAMP ]] && "$PY" -c "
import importlib.metadata as m, sys
sys.exit(m.version('litellm') != '$LITELLM_VERSION')" 2>/dev/null; then
    say "reusing ${VENV#"$ROOT"/} (litellm $LITELLM_VERSION)"
else
    STAGE="pip install litellm[proxy]==$LITELLM_VERSION (log: target/e2e/pip.log)"
    say "installing litellm[proxy]==$LITELLM_VERSION into ${VENV#"$ROOT"/} (about a minute)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    t=$SECONDS
    if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "litellm[proxy]==$LITELLM_VERSION" >"$E2E_DIR/pip.log" 2>&1; then
        tail -n 30 "$E2E_DIR/pip.log"
        fail "pip install failed"
    fi
    touch "$STAMP"
    say "installed in $((SECONDS - t)) s"
fi
T_RUN=$SECONDS

rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"

# --- 2. Tollgate binary -------------------------------------------------------------------------
if [[ -n ${TOLLGATE_BIN:-} ]]; then
    STAGE="Tollgate binary"
    [[ -x $TOLLGATE_BIN ]] || fail "TOLLGATE_BIN=$TOLLGATE_BIN is not executable"
    BIN=$TOLLGATE_BIN
else
    STAGE="cargo build -p tollgate-http --bin tollgate"
    say "building tollgate"
    (cd "$ROOT" && cargo build -p tollgate-http --bin tollgate)
    BIN=$ROOT/target/debug/tollgate
fi

# --- 3. A fresh database ------------------------------------------------------------------------
STAGE="PostgreSQL"
if [[ -n ${TEST_DATABASE_URL:-} ]]; then
    ADMIN_URL=$TEST_DATABASE_URL
else
    ADMIN_URL=$(bash "$ROOT/deploy/dev/ensure-postgres.sh" | tail -n 1)
    [[ -n $ADMIN_URL ]] || fail "deploy/dev/ensure-postgres.sh printed no URL"
fi
if ! have psql || ! have pg_dump; then
    say "installing postgresql-client (apt-get)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null
fi
name=tollgate_e2e_$(random_hex 6)
psql "$ADMIN_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$name\"" >/dev/null
DB_NAME=$name
DB_URL=$("$PY" "$HERE/e2e.py" db-url "$ADMIN_URL" "$DB_NAME")
say "database $DB_NAME"

SECRET=whsec-e2e-$(random_hex 16)
MASTER_KEY=sk-e2e-master-$(random_hex 12)
MARKER=E2E-PROMPT-$(random_hex 8)

# --- 4. Tollgate --------------------------------------------------------------------------------
STAGE="starting tollgate (log: target/e2e/run/tollgate.log)"
TOLLGATE_PORT=$("$PY" "$HERE/e2e.py" free-port)
TOLLGATE_URL=http://127.0.0.1:$TOLLGATE_PORT
# customer_fallback=user (the default, pinned here): e2e.py's NO_USER_CUSTOMER relies on it.
env TOLLGATE__DATABASE__URL="$DB_URL" \
    TOLLGATE__SERVER__BIND="127.0.0.1:$TOLLGATE_PORT" \
    TOLLGATE__LITELLM__WEBHOOK_SECRETS="$SECRET" \
    TOLLGATE__LITELLM__CUSTOMER_FALLBACK=user \
    TOLLGATE__DATA_DIR="$RUN_DIR/tollgate-data" \
    "$BIN" serve >"$RUN_DIR/tollgate.log" 2>&1 </dev/null &
TOLLGATE_PID=$!
"$PY" "$HERE/e2e.py" wait-http "$TOLLGATE_URL/readyz" "$TOLLGATE_PID" 60
say "tollgate ready on $TOLLGATE_URL"

# --- 5. LiteLLM proxy ---------------------------------------------------------------------------
STAGE="starting the LiteLLM proxy (log: target/e2e/run/litellm.log)"
LITELLM_PORT=$("$PY" "$HERE/e2e.py" free-port)
LITELLM_URL=http://127.0.0.1:$LITELLM_PORT
"$PY" "$HERE/e2e.py" config "$RUN_DIR/litellm_config.yaml" --tollgate-url "$TOLLGATE_URL" \
    --secret "$SECRET" --master-key "$MASTER_KEY" --marker "$MARKER"
# - no DATABASE_URL: with one, the proxy would set up Prisma (which downloads engines);
# - the local copy of the price map instead of fetching it from GitHub at start-up;
# - no Hugging Face downloads (also disabled in the config), no HTTP proxy for loopback;
# - DEFAULT_FLUSH_INTERVAL_SECONDS=1: the generic_api logger flushes every second, not 5 s.
(
    cd "$RUN_DIR"
    exec env -u DATABASE_URL -u LITELLM_MASTER_KEY -u STORE_MODEL_IN_DB \
        LITELLM_LOCAL_MODEL_COST_MAP=True \
        HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
        NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" \
        no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}" \
        DEFAULT_FLUSH_INTERVAL_SECONDS=1 \
        "$VENV/bin/litellm" --config "$RUN_DIR/litellm_config.yaml" \
        --host 127.0.0.1 --port "$LITELLM_PORT" --num_workers 1
) >"$RUN_DIR/litellm.log" 2>&1 </dev/null &
LITELLM_PID=$!
"$PY" "$HERE/e2e.py" wait-http "$LITELLM_URL/health/liveliness" "$LITELLM_PID" 90
say "litellm proxy ready on $LITELLM_URL ($((SECONDS - T_RUN)) s since start)"

# --- 6. Traffic ---------------------------------------------------------------------------------
STAGE="sending requests through the proxy"
timeout 180 "$PY" "$HERE/e2e.py" traffic "$RUN_DIR/expected.json" --proxy-url "$LITELLM_URL" \
    --master-key "$MASTER_KEY" --marker "$MARKER"

# --- 7. Wait for delivery, then check -----------------------------------------------------------
STAGE="waiting for the events to be stored"
timeout 60 "$PY" "$HERE/e2e.py" wait-events "$RUN_DIR/expected.json" --db-url "$DB_URL" --timeout 30

STAGE="checking the database"
CHECK_DONE=1
set +e
timeout 120 "$PY" "$HERE/e2e.py" check "$RUN_DIR/expected.json" --db-url "$DB_URL" \
    --secret "$SECRET" --master-key "$MASTER_KEY" --marker "$MARKER" \
    --dump "$RUN_DIR/pg_dump.sql" >"$RUN_DIR/check.txt" 2>&1
rc=$?
set -e
if ((rc != 0)); then
    if tail -n 1 "$RUN_DIR/check.txt" | grep -Eq '^e2e: [0-9]+ passed, [0-9]+ failed$'; then
        # all but the closing line now; on_exit prints the logs, then the closing line
        head -n -1 "$RUN_DIR/check.txt"
    else
        cat "$RUN_DIR/check.txt" # the check itself broke (or timed out)
        CHECK_DONE=0
    fi
    exit "$rc"
fi
cleanup
say "run took $((SECONDS - T_RUN)) s after install ($((SECONDS - T0)) s in all)"
cat "$RUN_DIR/check.txt"
