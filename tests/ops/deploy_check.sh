#!/usr/bin/env bash
# make deploy-check: every offline check of the deployment files (issue 15, section 8), and
# the backup restore drill.
# Nothing is pulled from a container registry. Tools come from deploy/dev/ensure-ops-tools.sh
# (cached; a second run is instant). Prints one line per check with its time.
#   DEPLOY_CHECK_SKIP_IMAGE=1   leave out the podman image build and run
#   DEPLOY_CHECK_SKIP_DRILL=1   leave out the restore drill (tests/ops/restore_drill.sh)
#   DEPLOY_CHECK_DEBUG_BINARY=1 run the binary checks with the debug build (make test)
#   TOLLGATE_BINARY=path        run them with this binary
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
readonly ROOT
cd "$ROOT"
bash deploy/dev/ensure-ops-tools.sh
readonly VENV=$ROOT/target/ops-venv/bin
readonly SCHEMAS=deploy/schemas

failed=()
step() {
    local name=$1 started=$SECONDS
    shift
    if "$@"; then
        printf 'deploy-check: ok    %-28s %3d s\n' "$name" $((SECONDS - started))
    else
        printf 'deploy-check: FAIL  %-28s %3d s\n' "$name" $((SECONDS - started))
        failed+=("$name")
    fi
}
quiet() { local out; out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }; }

k8s_files() { find deploy/k8s -name '*.yaml' | sort; }
shell_files() { find deploy tests/ops -name '*.sh' | sort; }

step compose-schema quiet "$VENV/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml
step compose-test quiet "$VENV/python" tests/ops/compose_test.py
step traefik-static quiet "$VENV/check-jsonschema" --schemafile "$SCHEMAS/traefik-v3.json" \
    deploy/traefik/traefik.yml deploy/traefik/traefik.acme.yml
step traefik-dynamic quiet "$VENV/check-jsonschema" --schemafile "$SCHEMAS/traefik-v3-file-provider.json" \
    deploy/traefik/dynamic/routes.yml
step hydra-config quiet "$VENV/check-jsonschema" --schemafile "$SCHEMAS/hydra-config.json" \
    deploy/ory/hydra/hydra.yml
step kratos-config quiet "$VENV/check-jsonschema" --schemafile "$SCHEMAS/kratos-config.json" \
    deploy/ory/kratos/kratos.yml
step keto-config quiet "$VENV/check-jsonschema" --schemafile "$SCHEMAS/keto-config.json" \
    deploy/ory/keto/keto.yml
step promtool-config quiet promtool check config deploy/prometheus/prometheus.yml
step promtool-rules quiet promtool check rules deploy/prometheus/alerts.yml
step promtool-test quiet promtool test rules deploy/prometheus/alerts.test.yml
step dashboard quiet "$VENV/python" tests/ops/dashboard_test.py
if [[ -d deploy/k8s ]]; then
    step k8s quiet "$VENV/python" tests/ops/k8s_test.py
fi
step hadolint quiet "$VENV/hadolint" deploy/docker/Dockerfile
# shellcheck disable=SC2046 # file names without spaces, one per line
step shellcheck quiet shellcheck $(shell_files)
step yamllint quiet "$VENV/yamllint" --strict -c .yamllint.yaml deploy/
# The binary the run checks use, built now so it matches the sources (a no-op when it does):
# the release build, whose image must meet the size budget; or, under make test
# (DEPLOY_CHECK_DEBUG_BINARY=1), the debug build the tests made, the size then only reported.
if [[ -z ${TOLLGATE_BINARY:-} ]]; then
    if [[ ${DEPLOY_CHECK_DEBUG_BINARY:-0} == 1 ]]; then
        cargo build -q -p tollgate-http --bin tollgate
        export TOLLGATE_BINARY=$ROOT/target/debug/tollgate IMAGE_CHECK_ENFORCE_SIZE=0
    else
        cargo build -q --release --locked -p tollgate-http --bin tollgate
        export TOLLGATE_BINARY=$ROOT/target/release/tollgate
    fi
fi
tollgate_binary() { echo "$TOLLGATE_BINARY"; }
compose_env_run() {
    local admin_url
    admin_url=${TEST_DATABASE_URL:-$(bash deploy/dev/ensure-postgres.sh)}
    "$VENV/python" tests/ops/compose_env_run.py "$(tollgate_binary)" "$admin_url"
}
step compose-env-run quiet compose_env_run
if [[ ${DEPLOY_CHECK_SKIP_IMAGE:-0} != 1 ]]; then
    step image bash tests/ops/image_check.sh
fi
if [[ ${DEPLOY_CHECK_SKIP_DRILL:-0} != 1 ]]; then
    step restore-drill bash tests/ops/restore_drill.sh
fi

if [[ ${#failed[@]} -gt 0 ]]; then
    printf 'deploy-check: %d failed: %s\n' "${#failed[@]}" "${failed[*]}" >&2
    exit 1
fi
echo "deploy-check: all passed"
