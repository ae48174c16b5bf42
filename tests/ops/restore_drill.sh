#!/usr/bin/env bash
# Restore drill (make test, through make deploy-check): a private PostgreSQL cluster archiving
# WAL with pgBackRest configured by deploy/backup/pgbackrest.conf (only its paths and port
# overridden here), then:
#   full backup -> events through a running Tollgate (delivery held, so outbox rows are
#   pending) -> time T -> more events -> the database dropped -> point-in-time restore to T
#   into another data directory on another port -> checks: the event count is T's (and not
#   the final one), `tollgate audit verify` exits 0, a Tollgate on the restored database
#   answers /readyz 200 and delivers the pending outbox rows to its embedded meters.
# Prints the RPO (how much WAL was unarchived when the database was dropped; archive_timeout
# bounds it) and the restore time. Needs root or sudo -n (the cluster runs as Debian's postgres user);
# tools from deploy/dev/ensure-ops-tools.sh.
#   TOLLGATE_BINARY   the tollgate binary (default target/release/tollgate, else
#                     target/debug/tollgate, built when neither exists)
#   DRILL_EVENTS      events before T (default 2000; as many again after T)
#   DRILL_FILLER_MB   extra data in the backup (a table of that many MB of md5 text), to
#                     measure restore seconds per GB (README); default 0
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
readonly ROOT
readonly EVENTS=${DRILL_EVENTS:-2000}
readonly FILLER_MB=${DRILL_FILLER_MB:-0}
readonly SECRET=restore-drill-secret
readonly STANZA=tollgate

log() { printf 'restore-drill: %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
id postgres >/dev/null 2>&1 || die "no postgres user (apt-get install postgresql)"
bash "$ROOT/deploy/dev/ensure-ops-tools.sh"

pgbin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)
[[ -x $pgbin/initdb ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
binary=${TOLLGATE_BINARY:-}
if [[ -z $binary ]]; then
    for candidate in "$ROOT/target/release/tollgate" "$ROOT/target/debug/tollgate"; do
        [[ -x $candidate ]] && { binary=$candidate; break; }
    done
fi
if [[ -z $binary ]]; then
    (cd "$ROOT" && cargo build -p tollgate-http --bin tollgate)
    binary=$ROOT/target/debug/tollgate
fi
# Built as the caller above (no root-owned files in target/), then root for the cluster.
export TOLLGATE_BINARY=$binary
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        exec sudo -n --preserve-env=TOLLGATE_BINARY,DRILL_EVENTS,DRILL_FILLER_MB,DRILL_KEEP,PATH "$0" "$@"
    fi
    die "run as root or with sudo -n (the private cluster runs as the postgres user)"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
W=$(mktemp -d /tmp/tollgate-restore-drill.XXXXXX)
chmod 0755 "$W"
mkdir -p "$W"/{repo,log,lock,spool,tollgate}
chown -R postgres: "$W"
P1=$(free_port)
P2=$(free_port)
TP=$(free_port)
as_pg() { runuser -u postgres -- "$@"; }
psql1() { psql -h 127.0.0.1 -p "$P1" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
psql2() { psql -h 127.0.0.1 -p "$P2" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
# The shipped configuration, with this drill's paths and port in pgBackRest's environment
# variables (they take precedence over the file; archive_command inherits them from pg_ctl).
pg_env=(env "PGBACKREST_CONFIG=$ROOT/deploy/backup/pgbackrest.conf" "PGBACKREST_STANZA=$STANZA"
    "PGBACKREST_REPO1_PATH=$W/repo" "PGBACKREST_LOG_PATH=$W/log" "PGBACKREST_LOCK_PATH=$W/lock"
    "PGBACKREST_SPOOL_PATH=$W/spool" "PGBACKREST_PG1_SOCKET_PATH=$W")
primary_env=("${pg_env[@]}" "PGBACKREST_PG1_PATH=$W/primary" "PGBACKREST_PG1_PORT=$P1")
pgbr() { as_pg "${primary_env[@]}" pgbackrest "$@"; }

tollgate_pid=''
cleanup() {
    [[ -n $tollgate_pid ]] && kill "$tollgate_pid" 2>/dev/null && wait "$tollgate_pid" 2>/dev/null
    for dir in "$W/primary" "$W/restored"; do
        [[ -f $dir/postmaster.pid ]] && as_pg "$pgbin/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1
    done
    if [[ ${DRILL_KEEP:-0} == 1 ]]; then log "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

# ---- the primary, archiving
as_pg "$pgbin/initdb" -D "$W/primary" -U postgres --auth=trust --encoding=UTF8 >"$W/log/initdb.log"
cat >>"$W/primary/postgresql.conf" <<CONF
port = $P1
listen_addresses = '127.0.0.1'
unix_socket_directories = '$W'
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest archive-push %p'
archive_timeout = 60
CONF
as_pg "${primary_env[@]}" "$pgbin/pg_ctl" -D "$W/primary" -l "$W/log/primary.log" -w start >/dev/null
pgbr stanza-create >/dev/null
pgbr check >/dev/null
if [[ $FILLER_MB -gt 0 ]]; then
    # ~100 bytes a row on disk: rows = MB * 10,000.
    psql1 -c "CREATE TABLE drill_filler AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS pad
              FROM generate_series(1, $FILLER_MB * 10000) AS g"
fi
started=$SECONDS
pgbr --type=full backup >/dev/null
log "full backup taken in $((SECONDS - started)) s"

# ---- Tollgate on it, delivery held: the outbox rows stay pending
db_url=postgres://postgres@127.0.0.1:$P1/tollgate
start_tollgate() { # url port run_in_server
    TOLLGATE__DATABASE__URL=$1 TOLLGATE__SERVER__BIND=127.0.0.1:$2 \
    TOLLGATE__DELIVERY__RUN_IN_SERVER=$3 TOLLGATE__LITELLM__WEBHOOK_SECRETS=$SECRET \
    TOLLGATE__DATA_DIR=$W/tollgate TOLLGATE__LOG__FORMAT=json \
        "$binary" serve >>"$W/log/tollgate.log" 2>&1 &
    tollgate_pid=$!
    for _ in $(seq 1 120); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$2/readyz") == 200 ]] && return 0
        kill -0 "$tollgate_pid" 2>/dev/null || break
        sleep 0.5
    done
    tail -20 "$W/log/tollgate.log" >&2
    return 1
}
stop_tollgate() {
    kill -TERM "$tollgate_pid"
    wait "$tollgate_pid" || die "Tollgate exited $? on SIGTERM"
    tollgate_pid=''
}
start_tollgate "$db_url" "$TP" false || die "Tollgate did not become ready"
# An audited action, so the restored audit chain has links to verify.
TOLLGATE__DATABASE__URL=$db_url TOLLGATE__DATA_DIR=$W/tollgate \
    "$binary" dev-token --org drill --role owner >/dev/null 2>>"$W/log/tollgate.log" \
    || die "dev-token"
python3 "$ROOT/tests/ops/send_usage.py" "http://127.0.0.1:$TP" "$SECRET" "$EVENTS" before >/dev/null \
    || die "events before T were refused"
count_t=$(psql1 -d tollgate -c 'SELECT count(*) FROM usage_events')
pending_t=$(psql1 -d tollgate -c "SELECT count(*) FROM outbox WHERE state = 'pending'")
sleep 1
target_time=$(psql1 -d tollgate -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
sleep 1
python3 "$ROOT/tests/ops/send_usage.py" "http://127.0.0.1:$TP" "$SECRET" "$EVENTS" after >/dev/null \
    || die "events after T were refused"
count_end=$(psql1 -d tollgate -c 'SELECT count(*) FROM usage_events')
stop_tollgate
log "T = $target_time: $count_t events ($pending_t outbox rows pending); $count_end at the end"
[[ $count_t -eq $EVENTS && $count_end -eq $((2 * EVENTS)) && $pending_t -gt 0 ]] \
    || die "unexpected counts before the drop"

# ---- the disaster
rpo=$(psql1 -c "SELECT coalesce(round(extract(epoch FROM now() - last_archived_time))::int, -1) FROM pg_stat_archiver")
psql1 -c 'DROP DATABASE tollgate'
# The primary lives on: its WAL, the drop included, reaches the archive.
pgbr check >/dev/null
log "database dropped; WAL not yet archived at that moment: ${rpo} s (archive_timeout = 60 s bounds it)"

# ---- point-in-time restore to T, elsewhere
started=$(date +%s.%N)
as_pg install -d -m 0700 "$W/restored"
as_pg "${pg_env[@]}" "PGBACKREST_PG1_PATH=$W/restored" pgbackrest --type=time --target="$target_time" \
    --target-action=promote --archive-mode=off restore >/dev/null
printf "port = %s\n" "$P2" | as_pg tee -a "$W/restored/postgresql.auto.conf" >/dev/null
as_pg "${pg_env[@]}" "PGBACKREST_PG1_PATH=$W/restored" "$pgbin/pg_ctl" -D "$W/restored" -l "$W/log/restored.log" -w -t 300 start >/dev/null
for _ in $(seq 1 600); do
    [[ $(psql2 -c 'SELECT pg_is_in_recovery()' 2>/dev/null) == f ]] && break
    sleep 0.2
done
[[ $(psql2 -c 'SELECT pg_is_in_recovery()') == f ]] || die "the restored cluster did not promote"
restore_secs=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
size_bytes=$(psql2 -c 'SELECT sum(pg_database_size(datname)) FROM pg_database')
log "restored to T and promoted in $restore_secs s ($((size_bytes / 1000000)) MB of databases)"

# ---- checks
count_r=$(psql2 -d tollgate -c 'SELECT count(*) FROM usage_events')
[[ $count_r -eq $count_t ]] || die "restored $count_r events, T had $count_t (the end had $count_end)"
log "restored event count $count_r = T's"
restored_url=postgres://postgres@127.0.0.1:$P2/tollgate
TOLLGATE__DATABASE__URL=$restored_url TOLLGATE__DATA_DIR=$W/tollgate \
    "$binary" audit verify >>"$W/log/tollgate.log" 2>&1 || die "tollgate audit verify failed on the restored database"
log "tollgate audit verify: exit 0"
start_tollgate "$restored_url" "$TP" true || die "Tollgate on the restored database: /readyz never 200"
log "/readyz 200 on the restored database"
pending=''
for _ in $(seq 1 120); do
    pending=$(psql2 -d tollgate -c "SELECT count(*) FROM outbox WHERE state <> 'delivered'")
    [[ $pending -eq 0 ]] && break
    sleep 0.5
done
[[ $pending -eq 0 ]] || die "$pending outbox rows still undelivered after 60 s"
metered=$(psql2 -d tollgate -c "SELECT count(*) FROM outbox WHERE state = 'delivered'")
log "the $pending_t pending outbox rows delivered ($metered delivered rows)"
stop_tollgate

echo "restore drill: ok — RPO at the drop ${rpo} s (bound: archive_timeout 60 s); restore to T ${restore_secs} s for $((size_bytes / 1000000)) MB"
