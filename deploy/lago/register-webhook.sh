#!/bin/sh
# One-shot (compose service lago-webhook-register): make Lago send its webhooks to Tollgate,
# signed with JWT (Lago's default; Tollgate verifies with Lago's public key). Lists the
# endpoints first, so a second run adds nothing. POSIX sh and curl only (curlimages/curl).
set -eu
: "${LAGO_API_KEY:?}" "${LAGO_INTERNAL_URL:?}" "${TOLLGATE_WEBHOOK_URL:?}"

auth="Authorization: Bearer $LAGO_API_KEY"
existing=$(curl -fsS -H "$auth" "$LAGO_INTERNAL_URL/api/v1/webhook_endpoints?per_page=100")
case $existing in
    *"\"webhook_url\":\"$TOLLGATE_WEBHOOK_URL\""*)
        echo "lago-webhook-register: $TOLLGATE_WEBHOOK_URL is already registered"
        exit 0
        ;;
esac
curl -fsS -X POST -H "$auth" -H 'Content-Type: application/json' \
    -d "{\"webhook_endpoint\":{\"webhook_url\":\"$TOLLGATE_WEBHOOK_URL\",\"signature_algo\":\"jwt\"}}" \
    "$LAGO_INTERNAL_URL/api/v1/webhook_endpoints" >/dev/null
echo "lago-webhook-register: registered $TOLLGATE_WEBHOOK_URL"
