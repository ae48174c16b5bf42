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
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
readonly ROOT
readonly BASELINE=2026-12-06-400001_web_sessions
# A statement_timeout in a migration would cancel a legitimately long CREATE INDEX
# CONCURRENTLY or backfill; what must not happen is waiting behind a lock while blocking
# everyone else, which `SET lock_timeout` (required: require-lock-timeout) prevents.
readonly EXCLUDED_RULES=require-statement-timeout
readonly CONTRACT_RULES=ban-drop-column,ban-drop-table,ban-drop-not-null,ban-drop-default,ban-drop-constraint,renaming-column,renaming-table,changing-column-type

bash "$ROOT/deploy/dev/ensure-ops-tools.sh" --venv-only
squawk=$ROOT/target/ops-venv/bin/squawk
status=0
checked=0
for dir in "$ROOT"/migrations/*/; do
    name=$(basename "$dir")
    [[ $name > $BASELINE ]] || continue
    up=$dir/up.sql
    [[ -f $up ]] || continue
    checked=$((checked + 1))
    flags=(--config "$ROOT/.squawk.toml" --reporter gcc)
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
    if ! "$squawk" "${flags[@]}" "$up"; then
        status=1
    fi
    # Comments out, then look for the contracting statements.
    body=$(sed -E 's/--.*$//' "$up" | tr '\n' ' ')
    if grep -Eiq '\bDROP\b|\bRENAME\b|ALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b' <<<"$body" \
        && ! grep -Eq '^\s*--\s*contract:\s*\S' "$up"; then
        echo "$up: DROP, RENAME or a type change without a '-- contract: <why>' line" >&2
        status=1
    fi
done
if [[ $status -ne 0 ]]; then
    echo "migration lint: fix the above (docs/operations.md, \"Zero-downtime migrations\")" >&2
    exit 1
fi
echo "migration lint: ok ($checked migration(s) after $BASELINE)"
