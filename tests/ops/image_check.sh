#!/usr/bin/env bash
# The image, built and run without a registry (make deploy-check):
#   1. a Debian 12 base made once by `debootstrap --variant=minbase` and slimmed as the
#      debian:bookworm-slim image is (cached in target/ops-image),
#      imported into a podman store of our own under target/ (the host's podman is untouched);
#   2. the runtime stage of deploy/docker/Dockerfile built by podman with --pull=never, with
#      that base as RUNTIME_IMAGE and the release binary as BINARY_FROM (apt reaches Debian's
#      mirror for fonts-dejavu-core, as the real build does);
#   3. run against the test PostgreSQL: the process runs as uid 10001, /readyz answers 200,
#      the image's HEALTHCHECK passes, and SIGTERM (STOPSIGNAL) ends it with exit status 0.
# Prints the image size. Needs root (or sudo -n) for debootstrap and podman.
#   TOLLGATE_BINARY=path   the binary to put in the image (default: target/release/tollgate,
#                          built with `cargo build --release --locked` when missing)
#   IMAGE_CHECK_ENFORCE_SIZE=0  report the size without enforcing the budget (a debug build,
#                          as make test uses: only a release binary can meet it)
#   TEST_DATABASE_URL      admin URL of the test PostgreSQL (default: ensure-postgres.sh)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
readonly ROOT
readonly WORK=$ROOT/target/ops-image
readonly BASE_TAR=$WORK/debian-bookworm-slim.tar
readonly BASE_IMAGE=localhost/tollgate-ci/debian:bookworm-slim
readonly BINARY_IMAGE=localhost/tollgate-ci/binary:latest
readonly IMAGE=localhost/tollgate:image-check
readonly MAX_IMAGE_MB=130

log() { printf 'image-check: %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# The binary first, as the caller (a build must not leave root-owned files in target/).
binary=${TOLLGATE_BINARY:-$ROOT/target/release/tollgate}
enforce_size=${IMAGE_CHECK_ENFORCE_SIZE:-1}
[[ $enforce_size == 1 ]] || log "size budget reported, not enforced ($binary)"
if [[ ! -x $binary ]]; then
    log "building the release binary (cargo build --release --locked)"
    (cd "$ROOT" && cargo build --release --locked -p tollgate-http --bin tollgate)
fi
export TOLLGATE_BINARY=$binary IMAGE_CHECK_ENFORCE_SIZE=$enforce_size
if [[ $(id -u) -ne 0 ]]; then
    if ! { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }; then
        die "needs root or sudo -n"
    fi
    exec sudo -n --preserve-env=TOLLGATE_BINARY,TEST_DATABASE_URL,IMAGE_CHECK_ENFORCE_SIZE,PATH "$0" "$@"
fi

mkdir -p "$WORK"
# podman's own configuration for this store: cgroupfs (no systemd here), no default ulimits
# (a container cannot raise its nofile past the host's), runc.
cat >"$WORK/containers.conf" <<'CONF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
CONF
export CONTAINERS_CONF=$WORK/containers.conf
# overlay is fast; where target/ itself sits on overlayfs (a CI container) it may be refused,
# then vfs (slower, copies layers) in a store of its own.
podman=(podman --root "$WORK/storage" --runroot "$WORK/run" --storage-driver overlay)
if ! "${podman[@]}" info >/dev/null 2>&1; then
    log "overlay storage unavailable here: using vfs"
    podman=(podman --root "$WORK/storage-vfs" --runroot "$WORK/run-vfs" --storage-driver vfs)
fi

# What makes debian:bookworm-slim slim (debuerreotype's --slimify): no documentation, manual
# pages or translations, now or in packages installed later; no apt caches.
slimify() {
    local rootfs=$1
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
DPKG
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$rootfs/usr/share/groff/"* "$rootfs/usr/share/info/"* "$rootfs/usr/share/linda/"* \
        "$rootfs/usr/share/lintian/overrides/"* "$rootfs/usr/share/locale/"* "$rootfs/usr/share/man/"* \
        "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/cache/apt/"*.bin "$rootfs/var/lib/apt/lists/"*
}

# ---- 1. the base, made once
if [[ ! -s $BASE_TAR ]]; then
    log "making the Debian 12 minbase root file system (once; cached in $BASE_TAR)"
    rm -rf "$WORK/rootfs"
    debootstrap --variant=minbase bookworm "$WORK/rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap"; }
    slimify "$WORK/rootfs"
    tar --numeric-owner -C "$WORK/rootfs" -cf "$BASE_TAR.tmp" .
    mv "$BASE_TAR.tmp" "$BASE_TAR"
    rm -rf "$WORK/rootfs"
fi
if ! "${podman[@]}" image exists "$BASE_IMAGE"; then
    "${podman[@]}" import --quiet --change 'CMD ["bash"]' "$BASE_TAR" "$BASE_IMAGE" >/dev/null
fi

# ---- 2. the runtime stage, with the release binary
ctx=$(mktemp -d)
container=''
admin_url='' db=''
cleanup() {
    [[ -n $container ]] && "${podman[@]}" rm -f "$container" >/dev/null 2>&1
    [[ -n $db ]] && psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
    rm -rf "$ctx"
}
trap cleanup EXIT
# As the Dockerfile's builder stage (CARGO_PROFILE_RELEASE_STRIP=debuginfo): no line tables.
objcopy --strip-debug "$binary" "$ctx/tollgate"
chmod 0755 "$ctx/tollgate"
printf 'FROM scratch\nCOPY tollgate /out/tollgate\n' >"$ctx/Containerfile"
"${podman[@]}" build --quiet --pull=never -t "$BINARY_IMAGE" -f "$ctx/Containerfile" "$ctx" >/dev/null

started=$(date +%s)
"${podman[@]}" build --pull=never --network=host --format docker --target runtime \
    --build-arg RUNTIME_IMAGE="$BASE_IMAGE" --build-arg BINARY_FROM="$BINARY_IMAGE" \
    -t "$IMAGE" -f "$ROOT/deploy/docker/Dockerfile" "$ROOT" >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log" >&2; die "podman build"; }
log "runtime stage built in $(( $(date +%s) - started )) s"
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$IMAGE")
size_mb=$(( size / 1000000 ))
log "image size: $size_mb MB ($size bytes; base: debootstrap minbase slimmed, binary $(( $(stat -c %s "$ctx/tollgate") / 1000000 )) MB)"
echo "$size" >"$WORK/image-size-bytes"
if [[ $enforce_size == 1 ]]; then
    (( size_mb <= MAX_IMAGE_MB )) || die "the image is $size_mb MB, over $MAX_IMAGE_MB MB"
fi
user=$("${podman[@]}" image inspect --format '{{.Config.User}}' "$IMAGE")
[[ $user == 10001:10001 ]] || die "the image's user is '$user', not 10001:10001"
stopsignal=$("${podman[@]}" image inspect --format '{{.Config.StopSignal}}' "$IMAGE")
[[ $stopsignal == SIGTERM ]] || die "the image's stop signal is '$stopsignal'"

# ---- 3. run it
admin_url=${TEST_DATABASE_URL:-$(bash "$ROOT/deploy/dev/ensure-postgres.sh")}
db=tollgate_image_check_$$
db_url=$(sed -E "s#/[^/?]*(\?|$)#/$db\1#" <<<"$admin_url")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Host network: the test PostgreSQL listens on the host's loopback. The bind stays loopback
# so the embedded issuer needs no allow_non_loopback.
# No health timer (podman would ask systemd for one, and complain on stderr that there is no
# systemd); `podman healthcheck run` below runs the image's check once.
container=$("${podman[@]}" run -d --network=host --health-interval=disable \
    -e TOLLGATE__DATABASE__URL="$db_url" -e TOLLGATE__SERVER__BIND="127.0.0.1:$port" \
    -e TOLLGATE__SERVER__SHUTDOWN_DELAY_SECS=1 "$IMAGE" 2>"$WORK/run.err") \
    || { cat "$WORK/run.err" >&2; die "podman run"; }

ready=''
for _ in $(seq 1 120); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz") == 200 ]]; then
        ready=1
        break
    fi
    [[ $("${podman[@]}" inspect --format '{{.State.Running}}' "$container") == true ]] || break
    sleep 0.5
done
if [[ -z $ready ]]; then
    "${podman[@]}" logs "$container" 2>&1 | tail -30 >&2
    die "/readyz never answered 200"
fi
log "/readyz 200"
pid=$("${podman[@]}" inspect --format '{{.State.Pid}}' "$container")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
[[ $uid == 10001 ]] || die "the server runs as uid $uid, not 10001"
log "runs as uid 10001"
"${podman[@]}" healthcheck run "$container" >/dev/null || die "the image's HEALTHCHECK (tollgate healthcheck) failed"
log "HEALTHCHECK passes"

"${podman[@]}" kill --signal SIGTERM "$container" >/dev/null
status=$("${podman[@]}" wait "$container")
[[ $status == 0 ]] || { "${podman[@]}" logs "$container" 2>&1 | tail -20 >&2; die "exit status $status after SIGTERM"; }
log "SIGTERM: exit status 0"
log "ok"
