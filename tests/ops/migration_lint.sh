#!/usr/bin/env bash
# make lint: the zero-downtime rules for NEW migrations (docs/operations.md, "Zero-downtime
# migrations"). Migrations up to and including BASELINE are grandfathered: squawk flags 85
# issues in the first nine as they were written (32 once it knows diesel runs each in a
# transaction), and rewriting applied migrations changes nothing in deployed databases.
# For every later migrations/*/up.sql:
#   * squawk (.squawk.toml; --assume-in-transaction unless its metadata.toml says
#     run_in_transaction = false) must report nothing;
#   * DROP, RENAME or a column type change needs a `-- contract: <why it is safe now>` line:
#     contracting is a deliberate second step, a release after the code stopped using it.
# Each run first lints two probe migrations, one that must pass and one that must fail.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
readonly ROOT
readonly BASELINE=2026-12-06-400001_usage_model_rollups
# A statement_timeout in a migration would cancel a legitimately long CREATE INDEX
# CONCURRENTLY or backfill; what must not happen is waiting behind a lock while blocking
# everyone else, which `SET lock_timeout` (required: require-lock-timeout) prevents.
readonly EXCLUDED_RULES=require-statement-timeout
readonly CONTRACT_RULES=ban-drop-column,ban-drop-table,ban-drop-not-null,ban-drop-default,ban-drop-constraint,renaming-column,renaming-table,changing-column-type

bash "$ROOT/deploy/dev/ensure-ops-tools.sh" --venv-only
readonly SQUAWK=$ROOT/target/ops-venv/bin/squawk

# lint_migration DIR: 0 when DIR/up.sql follows the rules, else 1 with the reasons on stderr.
lint_migration() {
    local dir=$1 up=$1/up.sql status=0 body
    local flags=(--config "$ROOT/.squawk.toml" --reporter gcc)
    if ! grep -Eqs '^\s*run_in_transaction\s*=\s*false' "$dir/metadata.toml"; then
        flags+=(--assume-in-transaction)
    fi
    # A declared contract step may drop, rename and retype: squawk's bans on those are lifted
    # for it (its other rules still apply).
    if grep -Eq '^\s*--\s*contract:\s*\S' "$up"; then
        flags+=(--exclude "$EXCLUDED_RULES,$CONTRACT_RULES")
    else
        flags+=(--exclude "$EXCLUDED_RULES")
    fi
    "$SQUAWK" "${flags[@]}" "$up" >&2 || status=1
    # Comments out, then look for the contracting statements.
    body=$(sed -E 's/--.*$//' "$up" | tr '\n' ' ')
    if grep -Eiq '\bDROP\b|\bRENAME\b|ALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b' <<<"$body" \
        && ! grep -Eq '^\s*--\s*contract:\s*\S' "$up"; then
        echo "$up: DROP, RENAME or a type change without a '-- contract: <why>' line" >&2
        status=1
    fi
    return "$status"
}

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
mkdir -p "$probe/good" "$probe/bad"
printf "SET lock_timeout = '5s';\nALTER TABLE customers ADD COLUMN note text;\n" >"$probe/good/up.sql"
printf "SET lock_timeout = '5s';\nALTER TABLE customers DROP COLUMN note;\n" >"$probe/bad/up.sql"
lint_migration "$probe/good" 2>/dev/null || { echo "migration lint: a good probe failed" >&2; exit 1; }
if lint_migration "$probe/bad" 2>/dev/null; then
    echo "migration lint: a DROP without '-- contract:' passed" >&2
    exit 1
fi

status=0
checked=0
for dir in "$ROOT"/migrations/*/; do
    dir=${dir%/}
    [[ $(basename "$dir") > $BASELINE && -f $dir/up.sql ]] || continue
    checked=$((checked + 1))
    lint_migration "$dir" || status=1
done
if [[ $status -ne 0 ]]; then
    echo "migration lint: fix the above (docs/operations.md, \"Zero-downtime migrations\")" >&2
    exit 1
fi
echo "migration lint: ok ($checked migration(s) after $BASELINE, and the probes)"
