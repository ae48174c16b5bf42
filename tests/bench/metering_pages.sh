# Scenario p of tests/bench/metering.sh (sourced by it; uses its functions): the dashboard.
#
#   p) every page of the dashboard (found from its menu and links, one per route shape) over
#      organization `bench`: 20 billing customers with plans, subscriptions and the invoices of
#      a closed month (tests/bench/period_close.sql + `tollgate billing close`), the rollups of
#      $USAGE_EVENTS events over the last 30 days (as f) and the newest
#      $PAGES_EVENTS of those events stored in usage_events (the Events page reads them):
#        server render p95 (Server-Timing total)       <= 50 ms (first Events page <= 100 ms)
#        HTML per page, gzip                           <= 40 KB
#        JS per page, gzip                             <= 10 KB
#        first visit (HTML + static files), gzip       <= 100 KB
#        DOMContentLoaded in headless Chromium         <= 300 ms
#
# Environment (besides metering.sh's):
#   TOLLGATE_BENCH_PAGES_EVENTS    stored events (default 10000000; ~1 KB each on disk)
#   TOLLGATE_BENCH_PAGES_REQUESTS  timed GETs per page (default 40)

PAGES_EVENTS=${TOLLGATE_BENCH_PAGES_EVENTS:-10000000}
PAGES_REQUESTS=${TOLLGATE_BENCH_PAGES_REQUESTS:-40}
TARGET_P_SERVER_MS=50
TARGET_P_EVENTS_SERVER_MS=100
TARGET_P_HTML_KB=40
TARGET_P_JS_KB=10
TARGET_P_FIRST_KB=100
TARGET_P_DCL_MS=300

scenario_p() {
    echo
    echo "=== p) dashboard pages: rollups of $USAGE_EVENTS events, $PAGES_EVENTS stored ==="
    new_database p
    local org t0 t minute_lo port secret
    t=$(now_s)
    sql -v customers=20 -v events_per_customer=1000 -f tests/bench/period_close.sql >/dev/null
    TOLLGATE__DATABASE__URL=$DB_URL TOLLGATE__LOG__LEVEL=warn "$TOLLGATE_BIN" billing close \
        --at 2026-02-01T02:00:00Z >"$WORK/close-p.json" || die "p: closing January failed"
    org=$(sql -At -c "SELECT id FROM organizations WHERE slug = 'bench'")
    create_event_function
    t0=$(sql -At -c "SELECT to_char(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '30 days', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
    minute_lo=$(awk -v n="$USAGE_EVENTS" -v d="$USAGE_MINUTE_DAYS" 'BEGIN {
        lo = int(n * (30 - d) / 30); if (lo < 1) lo = 1; print lo }')
    log "p: rollups of $USAGE_EVENTS events and the newest $PAGES_EVENTS of them as rows"
    seed_usage_rollups "$org" "$t0" "$minute_lo"
    insert_events "$org" $((USAGE_EVENTS - PAGES_EVENTS + 1)) "$USAGE_EVENTS" "$USAGE_EVENTS" \
        "'$t0'::timestamptz" "interval '30 days'" 2 ""
    sql -c "DROP TABLE bench.cells CASCADE" -c "VACUUM (ANALYZE)" >/dev/null
    echo "p.seed_s=$(since "$t")" >>"$RESULTS"
    echo "p.invoices=$(sql -At -c "SELECT count(*) FROM billing_invoices")" >>"$RESULTS"
    echo "  seeded in $(val p.seed_s) s: $(val p.invoices) invoices"
    wait_quiet
    echo "p.before=$(machine_state)" >>"$RESULTS"
    echo "  machine before: $(val p.before)"
    port=$(free_port) || die "no free port"
    common_env
    secret=bench-$(random_hex 8)
    export TOLLGATE__SERVER__BIND=127.0.0.1:$port TOLLGATE__LITELLM__WEBHOOK_SECRETS=$secret
    run_generator p --mode pages --db-url "$DB_URL" --url "http://127.0.0.1:$port" \
        --org bench --requests "$PAGES_REQUESTS" -- "$TOLLGATE_BIN" serve
    unset TOLLGATE__SERVER__BIND TOLLGATE__LITELLM__WEBHOOK_SECRETS
    finish_database
}

summary_p() {
    local i shape server target html js first dcl ok pages
    pages=$(val p.pages)
    for ((i = 0; i < ${pages:-0}; i++)); do
        shape=$(val "p.$i.shape")
        server=$(val "p.$i.server_p95_ms")
        target=$TARGET_P_SERVER_MS
        [[ $shape == /usage/events ]] && target=$TARGET_P_EVENTS_SERVER_MS
        html=$(awk -v b="$(val "p.$i.html_gz_bytes")" 'BEGIN { printf "%.1f", b / 1024 }')
        js=$(awk -v b="$(val "p.$i.js_gz_bytes")" 'BEGIN { printf "%.1f", b / 1024 }')
        first=$(awk -v b="$(val "p.$i.first_visit_gz_bytes")" 'BEGIN { printf "%.1f", b / 1024 }')
        dcl=$(val "p.$i.dcl_warm_p95_ms")
        ok=$(le "$server" "$target")
        [[ $(le "$html" "$TARGET_P_HTML_KB") == 1 && $(le "$js" "$TARGET_P_JS_KB") == 1 &&
            $(le "$first" "$TARGET_P_FIRST_KB") == 1 && $(le "$dcl" "$TARGET_P_DCL_MS") == 1 &&
            $(le "$(val "p.$i.dcl_cold_ms")" "$TARGET_P_DCL_MS") == 1 &&
            $(val "p.$i.errors") == 0 ]] || ok=0
        verdict "$ok"
        row "p) page $shape" \
            "render p95 $server ms; gz HTML $html KB, JS $js KB, 1st visit $first KB; DCL $(val "p.$i.dcl_cold_ms")/$dcl ms" \
            "<= $target ms, 40/10/100 KB, 300 ms" "$VERDICT"
    done
    if [[ -n $(val p.failed) ]]; then
        verdict 0
        row "p) dashboard pages" "failed (see above)" "" "$VERDICT"
    fi
}
