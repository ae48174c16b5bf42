#!/usr/bin/env bash
# Make sure a PostgreSQL server is reachable for local development and tests.
#
# Prints exactly one line on stdout: an admin connection URL (a role allowed
# to CREATE DATABASE). Everything else goes to stderr, so callers can write
#   DB_ADMIN_URL=$(deploy/dev/ensure-postgres.sh)
#
# Decision order (first that works wins):
#   1. $TOLLGATE__DATABASE__URL, printed unchanged, if its server answers.
#   2. A server on 127.0.0.1:5432 that lets `postgres` in without a password.
#   3. A Debian packaged cluster (pg_lsclusters) that lets `postgres` in
#      without a password, over TCP or its unix socket; a stopped one is
#      started first when we are root (and stopped again if unusable).
#   4. A private throw-away cluster under <repo>/target/pg, listening on
#      127.0.0.1:${TOLLGATE_PG_PORT:-55432} with trust auth. The server
#      packages are installed from Debian if missing.
#
# Environment:
#   TOLLGATE__DATABASE__URL      URL to prefer (step 1)
#   TOLLGATE_PG_FORCE_PRIVATE=1  skip steps 1-3 (use/test the private cluster)
#   TOLLGATE_PG_PORT             port of the private cluster (default 55432)
#
# Stop the private cluster with (Debian keeps pg_ctl off PATH; prefix
# `runuser -u postgres --` when root):
#   /usr/lib/postgresql/<ver>/bin/pg_ctl -D target/pg/data stop
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
readonly REPO_ROOT
readonly PG_DIR=$REPO_ROOT/target/pg
readonly DATA_DIR=$PG_DIR/data
readonly LOG_FILE=$PG_DIR/log/postgres.log
readonly LOCK_FILE=$PG_DIR/lock
readonly PRIVATE_PORT=${TOLLGATE_PG_PORT:-55432}
readonly DEFAULT_URL=postgres://postgres@127.0.0.1:5432/postgres

# File descriptors used below. Both are closed for every command that may
# leave a daemon behind (see `no_fds`): a postmaster holding the caller's
# stdout pipe would make `$(ensure-postgres.sh)` hang forever, and one
# holding the lock would block every later call.
#   5: the caller's stdout, reserved for the single URL line
#   9: the flock on $LOCK_FILE

log() { printf 'ensure-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Print the URL on the real stdout and stop: the decision is made.
emit() {
    printf '%s\n' "$1" >&5
    exit 0
}

# Run a command with fds 5 and 9 closed (see above).
no_fds() { "$@" 5>&- 9>&-; }

have() { command -v "$1" >/dev/null 2>&1; }

is_root() { [[ $(id -u) == 0 ]]; }

# --- probing -----------------------------------------------------------------

# Big-endian int32 as \xHH escapes for printf %b.
be32() {
    printf '\\x%02x\\x%02x\\x%02x\\x%02x' \
        $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255))
}

# Does HOST:PORT let USER into database DB with no password and no TLS?
# That is exactly what the printed URL needs (the app uses tokio-postgres,
# which reads no ~/.pgpass), and "port is open" is not enough: a stock
# Debian server answers on 5432 but asks for a password. Speaks just enough
# of the v3 wire protocol in pure bash, so neither psql nor libpq is needed.
# Runs in a subshell so fd 3 closes on return.
probe_trust_tcp() (
    local host=$1 port=$2 user=$3 db=$4
    local LC_ALL=C # ${#var} must count bytes
    { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || exit 1

    # StartupMessage: length, protocol 3.0, key/value pairs, final NUL.
    local len=$((4 + 4 + 5 + ${#user} + 1 + 9 + ${#db} + 1 + 1))
    printf '%b' "$(be32 "$len")\\x00\\x03\\x00\\x00user\\x00${user}\\x00database\\x00${db}\\x00\\x00" >&3 || exit 1

    # First reply must be AuthenticationOk: 'R', length 8, code 0. Anything
    # else (password/SASL request, error) means no. The whole message is
    # read before hanging up: closing with unread data sends a TCP reset,
    # which the server would log; a clean close during auth it ignores.
    local header body
    header=$(timeout 5 head -c 5 <&3 | od -An -tx1 -v | tr -d ' \n') || exit 1
    [[ $header =~ ^[0-9a-f]{10}$ ]] || exit 1
    local reply_len=$((16#${header:2}))
    ((reply_len >= 8 && reply_len < 8192)) || exit 1 # not PostgreSQL talking
    body=$(timeout 5 head -c $((reply_len - 4)) <&3 | od -An -tx1 -v | tr -d ' \n') || exit 1
    [[ $header$body == 520000000800000000 ]] || exit 1

    # Role accepted. The database may still be refused, so send Terminate
    # and read the rest until the server closes: ReadyForQuery ('Z') means
    # yes, ErrorResponse ('E') means no.
    printf '%b' 'X\x00\x00\x00\x04' >&3 || exit 1
    local -a bytes
    read -r -a bytes <<<"$(timeout 5 od -An -tx1 -v <&3 | tr '\n' ' ')" || true
    local i=0 n=${#bytes[@]}
    while ((i + 4 < n)); do
        case ${bytes[i]} in
            5a) exit 0 ;;
            45) exit 1 ;;
        esac
        i=$((i + 1 + 16#${bytes[i + 1]}${bytes[i + 2]}${bytes[i + 3]}${bytes[i + 4]}))
    done
    exit 1
)

# Does URL work without a password? Needs psql; used for unix-socket URLs,
# which bash cannot open. ~/.pgpass and $PGPASSWORD are ignored on purpose:
# the app does not read them.
probe_with_psql() {
    have psql || return 1
    env -u PGPASSWORD PGPASSFILE=/dev/null PGCONNECT_TIMEOUT=5 \
        psql -X -w -q -A -t -c 'select 1' -d "$1" </dev/null >/dev/null 2>&1
}

# Value of KEY in a URL query string QUERY (a=1&b=2); fails when absent.
query_param() {
    local key=$1 pair
    local -a pairs
    IFS='&' read -r -a pairs <<<"$2"
    for pair in "${pairs[@]}"; do
        if [[ $pair == "$key="* ]]; then
            printf '%s\n' "${pair#*=}"
            return 0
        fi
    done
    return 1
}

# Does the server behind a user-supplied URL answer at all? Credentials are
# the user's business, so this only checks reachability.
url_answers() {
    local url=$1
    if have pg_isready; then
        pg_isready -q -t 5 -d "$url" </dev/null
        return
    fi

    # No client tools: pick host and port out of the URL ourselves.
    if [[ $url != postgres://* && $url != postgresql://* ]]; then
        log "cannot check '$url' without pg_isready; trusting it"
        return 0
    fi
    local rest=${url#*://} query="" hostport host port=5432 value
    [[ $rest == *\?* ]] && query=${rest#*\?}
    rest=${rest%%\?*}
    rest=${rest%%/*}
    hostport=${rest##*@}
    hostport=${hostport%%,*} # first of several hosts
    if [[ $hostport == \[* ]]; then # [ipv6]:port
        host=${hostport%%]*}
        host=${host#\[}
        [[ $hostport == *]:* ]] && port=${hostport##*]:}
    else
        host=${hostport%%:*}
        [[ $hostport == *:* ]] && port=${hostport#*:}
    fi
    if value=$(query_param host "$query"); then host=$value; fi
    if value=$(query_param port "$query"); then port=$value; fi
    host=$(printf '%b' "${host//%/\\x}") # percent-decoding, e.g. %2Fvar%2Frun
    [[ -n $host ]] || host=/var/run/postgresql

    if [[ $host == /* ]]; then
        [[ -S $host/.s.PGSQL.$port ]]
    else
        # shellcheck disable=SC2016 # $0/$1 expand in the child bash
        timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
    fi
}

# --- step 1: explicit URL ----------------------------------------------------

try_env_url() {
    local url=${TOLLGATE__DATABASE__URL:-}
    [[ -n $url ]] || return 0
    if url_answers "$url"; then
        emit "$url"
    fi
    log "TOLLGATE__DATABASE__URL is set but its server does not answer; looking elsewhere"
}

# --- step 2: default local port ----------------------------------------------

try_default_port() {
    if probe_trust_tcp 127.0.0.1 5432 postgres postgres; then
        emit "$DEFAULT_URL"
    fi
    if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
        log "127.0.0.1:5432 answers but does not let postgres in without a password"
    fi
}

# --- step 3: Debian packaged clusters ----------------------------------------

# Print the first URL (TCP, then unix socket) that works for a running
# packaged cluster; fail if none does.
packaged_cluster_url() {
    local ver=$1 name=$2 port=$3 sockdir url
    url=postgres://postgres@127.0.0.1:$port/postgres
    if probe_trust_tcp 127.0.0.1 "$port" postgres postgres; then
        printf '%s\n' "$url"
        return 0
    fi
    # Debian's default pg_hba.conf uses peer auth on the socket, which only
    # lets the OS user `postgres` in as `postgres`; test rather than guess.
    sockdir=$(pg_conftool -s "$ver" "$name" show unix_socket_directories 2>/dev/null || true)
    sockdir=${sockdir%%,*}
    sockdir=${sockdir:-/var/run/postgresql}
    url="postgres://postgres@/postgres?host=$sockdir"
    [[ $port == 5432 ]] || url="$url&port=$port"
    if probe_with_psql "$url"; then
        printf '%s\n' "$url"
        return 0
    fi
    return 1
}

try_packaged_clusters() {
    have pg_lsclusters || return 0
    local line ver name port status url
    local -a clusters
    mapfile -t clusters < <(pg_lsclusters --no-header 2>/dev/null || true)
    for line in "${clusters[@]}"; do
        read -r ver name port status _ <<<"$line"
        case $status in
            online)
                if url=$(packaged_cluster_url "$ver" "$name" "$port"); then
                    emit "$url"
                fi
                log "cluster $ver/$name is running but does not let postgres in without a password"
                ;;
            down)
                # Only root may start it (and we never touch a running one).
                is_root || continue
                log "starting packaged cluster $ver/$name on port $port"
                if ! no_fds pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start; then
                    log "could not start cluster $ver/$name"
                    continue
                fi
                if url=$(packaged_cluster_url "$ver" "$name" "$port"); then
                    emit "$url"
                fi
                # Not usable without editing its pg_hba.conf, which is not
                # ours to change: leave the machine as we found it.
                log "cluster $ver/$name does not let postgres in without a password; stopping it again"
                no_fds pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" stop || true
                ;;
        esac
    done
}

# --- step 4: private cluster under target/pg ----------------------------------

# OS user that owns and runs the private cluster. initdb refuses to run as
# root, so root delegates to the owner of an existing data dir, or to the
# `postgres` system user for a new one.
PG_USER=
choose_pg_user() {
    if ! is_root; then
        PG_USER=$(id -un)
        return
    fi
    PG_USER=postgres
    if [[ -d $DATA_DIR ]]; then
        local owner
        owner=$(stat -c %U "$DATA_DIR")
        [[ $owner == root ]] || PG_USER=$owner
    fi
}

# Run a command as $PG_USER.
as_pg() {
    if is_root; then
        no_fds runuser -u "$PG_USER" -- "$@"
    else
        no_fds "$@"
    fi
}

# Directory with initdb, pg_ctl and postgres of one major version; empty if
# not installed. An existing cluster can only be run by the major version
# that created it. Debian keeps server binaries in /usr/lib/postgresql/<ver>/bin,
# outside PATH.
find_pg_bindir() {
    local want="" dir
    local -a candidates=()
    [[ -f $DATA_DIR/PG_VERSION ]] && want=$(<"$DATA_DIR/PG_VERSION")
    if have initdb; then
        candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
    fi
    mapfile -t -O "${#candidates[@]}" candidates < <(
        compgen -G '/usr/lib/postgresql/*/bin' | sort -V -r || true)
    for dir in "${candidates[@]}"; do
        [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]] || continue
        if [[ -n $want ]]; then
            # "initdb (PostgreSQL) 15.14 (Debian ...)" -> 15
            local version
            version=$("$dir/initdb" --version | awk '{print $3}')
            [[ ${version%%.*} == "$want" ]] || continue
        fi
        printf '%s\n' "$dir"
        return 0
    done
    return 0
}

install_server() {
    local -a sudo=()
    if ! is_root; then
        have sudo || die "PostgreSQL is not installed and sudo is missing; install the 'postgresql' package as root"
        sudo=(sudo -n)
    fi
    log "PostgreSQL server not found; installing Debian's postgresql package"
    # Note: the package also creates (and may start) its own `main` cluster.
    # We do not use it: its default auth needs a password or OS user postgres.
    no_fds "${sudo[@]}" apt-get update ||
        die "apt-get update failed (not root and no passwordless sudo? run: sudo apt-get install postgresql)"
    no_fds "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends postgresql ||
        die "installing postgresql failed"
}

# Root only: the user running postgres must be able to reach target/pg,
# e.g. a repository under /root (mode 700) would stop it. Walk down from /
# and grant search (x) permission, and only that, where it is missing.
ensure_traversable() {
    local dir=/ part
    local -a parts
    IFS=/ read -r -a parts <<<"${PG_DIR#/}"
    for part in "" "${parts[@]}"; do
        [[ -n $part ]] && dir=${dir%/}/$part
        runuser -u "$PG_USER" -- test -x "$dir" && continue
        log "letting $PG_USER traverse $dir"
        if ! { have setfacl && setfacl -m "u:$PG_USER:x" "$dir"; }; then
            chmod o+x "$dir"
        fi
    done
}

# postgresql.conf quoting: single quotes doubled.
conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# Settings rewritten before every start, so a changed TOLLGATE_PG_PORT
# takes effect. Included from postgresql.conf by init_cluster.
write_settings() {
    local sockdirs=$PG_DIR
    # Unix socket paths are limited to 107 bytes; a deep checkout would make
    # the server refuse to start. The URL uses TCP, so just drop the socket.
    if ((${#PG_DIR} + ${#PRIVATE_PORT} + 11 > 107)); then
        log "path too long for a unix socket in $PG_DIR; TCP only"
        sockdirs=""
    fi
    cat >"$DATA_DIR/tollgate.conf" <<EOF
# Written by deploy/dev/ensure-postgres.sh on every start; edits are lost.
listen_addresses = '127.0.0.1'
port = $PRIVATE_PORT
unix_socket_directories = $(conf_quote "$sockdirs")
# Throw-away dev/test data: trade crash safety for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    is_root && chown "$PG_USER:" "$DATA_DIR/tollgate.conf"
    return 0
}

init_cluster() {
    local bindir=$1 tmp=$PG_DIR/data.initdb
    log "initialising private cluster in $DATA_DIR"
    # initdb into a scratch dir and rename at the end, so an interrupted run
    # never leaves a half-made data dir that later runs would try to use.
    rm -rf "$tmp"
    mkdir -m 700 "$tmp"
    is_root && chown "$PG_USER:" "$tmp"
    # --no-locale: do not depend on the caller's (possibly ungenerated)
    # locale, and sort the same everywhere.
    # Its progress chatter (and advice to run pg_ctl on the scratch dir) is
    # dropped; errors still reach stderr.
    as_pg "$bindir/initdb" -D "$tmp" -U postgres --auth=trust \
        --encoding=UTF8 --no-locale >/dev/null
    printf '\n%s\n' "include_if_exists 'tollgate.conf'" >>"$tmp/postgresql.conf"
    mv "$tmp" "$DATA_DIR"
}

private_url() { printf 'postgres://postgres@127.0.0.1:%s/postgres\n' "$PRIVATE_PORT"; }

ensure_private_cluster() {
    [[ $PRIVATE_PORT =~ ^[0-9]+$ ]] || die "TOLLGATE_PG_PORT must be a port number, got '$PRIVATE_PORT'"

    # Fast path, no lock: already running.
    if probe_trust_tcp 127.0.0.1 "$PRIVATE_PORT" postgres postgres; then
        emit "$(private_url)"
    fi

    mkdir -p "$PG_DIR/log"
    # Serialise concurrent callers (e.g. `make -j run test`): one installs,
    # initialises and starts; the others wait and then find it running.
    # Opened read-only (flock does not need more), so a lock file left by a
    # root run does not lock out a later non-root run.
    [[ -e $LOCK_FILE ]] || : >"$LOCK_FILE"
    exec 9<"$LOCK_FILE"
    if ! flock -n 9; then
        log "waiting for another ensure-postgres.sh to finish"
        flock -w 900 9 || die "timed out waiting for $LOCK_FILE"
    fi
    if probe_trust_tcp 127.0.0.1 "$PRIVATE_PORT" postgres postgres; then
        emit "$(private_url)"
    fi

    local bindir
    bindir=$(find_pg_bindir)
    if [[ -z $bindir ]]; then
        if [[ -f $DATA_DIR/PG_VERSION ]]; then
            die "$DATA_DIR was made by PostgreSQL $(<"$DATA_DIR/PG_VERSION"), which is not installed; remove $PG_DIR to start afresh"
        fi
        install_server
        bindir=$(find_pg_bindir)
        [[ -n $bindir ]] || die "initdb still not found after installing postgresql"
    fi
    log "using PostgreSQL binaries in $bindir"

    choose_pg_user
    if is_root; then
        if ! getent passwd "$PG_USER" >/dev/null; then
            log "creating system user $PG_USER"
            useradd --system --user-group --no-create-home \
                --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
        fi
        # postgres writes its socket into PG_DIR and its log into log/.
        chown "$PG_USER:" "$PG_DIR" "$PG_DIR/log"
        ensure_traversable
    fi
    # Keep the server's cwd somewhere $PG_USER can reach.
    cd "$PG_DIR"

    [[ -f $DATA_DIR/PG_VERSION ]] || init_cluster "$bindir"

    if as_pg "$bindir/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1; then
        # Running, yet the probe failed: most likely started on another port.
        local running_port
        running_port=$(sed -n 4p "$DATA_DIR/postmaster.pid" 2>/dev/null || true)
        local stop="$bindir/pg_ctl -D $DATA_DIR stop"
        is_root && stop="runuser -u $PG_USER -- $stop"
        die "private cluster is running (port ${running_port:-?}) but not answering on $PRIVATE_PORT; stop it with: $stop"
    fi

    write_settings
    log "starting private cluster on 127.0.0.1:$PRIVATE_PORT (log: $LOG_FILE)"
    if ! as_pg "$bindir/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start; then
        tail -n 20 "$LOG_FILE" >&2 || true
        die "private cluster did not start"
    fi

    local tries
    for ((tries = 0; tries < 30; tries++)); do
        if probe_trust_tcp 127.0.0.1 "$PRIVATE_PORT" postgres postgres; then
            emit "$(private_url)"
        fi
        sleep 1
    done
    tail -n 20 "$LOG_FILE" >&2 || true
    die "private cluster started but does not accept connections on 127.0.0.1:$PRIVATE_PORT"
}

main() {
    # From here on fd 1 is stderr: no tool can leak output into the URL.
    exec 5>&1 1>&2

    if [[ ${TOLLGATE_PG_FORCE_PRIVATE:-} != 1 ]]; then
        try_env_url
        try_default_port
        try_packaged_clusters
    fi
    ensure_private_cluster
}

# Run unless sourced (sourcing lets the steps be tested one by one).
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
