#!/usr/bin/env bash
# Writes deploy/.env for deploy/compose.yaml: random secrets (Lago's RSA key included), the
# profiles to run (COMPOSE_PROFILES) and the URLs that wire Tollgate to those profiles'
# upstreams (blank = Tollgate's embedded default). Never overwrites an existing deploy/.env:
# delete it yourself to start over (the databases keep the old passwords until their volumes go).
#
#   deploy/gen-env.sh [profile...]      profiles: core (default), ory, metering, billing,
#                                       observability, proxy, full
#   TOLLGATE_DOMAIN=billing.example.com ACME_EMAIL=ops@example.com deploy/gen-env.sh full
set -euo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly DEPLOY_DIR
readonly OUT=${TOLLGATE_ENV_FILE:-$DEPLOY_DIR/.env}
readonly KNOWN_PROFILES=" core ory metering billing observability proxy full "

die() { printf 'gen-env: %s\n' "$*" >&2; exit 2; }

if [[ -e $OUT ]]; then
    printf 'gen-env: %s exists, left as it is (delete it to generate a new one)\n' "$OUT" >&2
    exit 0
fi

profiles=("$@")
[[ ${#profiles[@]} -gt 0 ]] || profiles=(core)
for p in "${profiles[@]}"; do
    [[ $KNOWN_PROFILES == *" $p "* ]] || die "unknown profile '$p' (known:$KNOWN_PROFILES)"
done
has() {
    local p
    for p in "${profiles[@]}"; do [[ $p == "$1" || $p == full ]] && return 0; done
    return 1
}

domain=${TOLLGATE_DOMAIN:-tollgate.localhost}
[[ $domain =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || die "TOLLGATE_DOMAIN is not a host name: $domain"
acme_email=${ACME_EMAIL:-}
if [[ -n $acme_email && $acme_email != *@*.* ]]; then
    die "ACME_EMAIL is not an e-mail address: $acme_email"
fi
command -v openssl >/dev/null || die "openssl is needed (apt-get install openssl)"

# Hex only: safe in URLs, YAML and shell without quoting.
hex() { openssl rand -hex "$1"; }

ory_issuer='' ory_jwks='' ory_admin='' kratos='' keto='' embedded_public=true
if has ory; then
    ory_issuer="https://hydra.$domain/"
    ory_jwks=http://hydra:4444/.well-known/jwks.json
    ory_admin=http://hydra:4445
    kratos=http://kratos:4433
    keto=http://keto:4466
    embedded_public=false
fi
openmeter=''
has metering && openmeter=http://openmeter:8888
lago='' lago_issuer=''
if has billing; then
    lago=http://lago-api:3000
    lago_issuer="https://lago-api.$domain"
fi

# Kafka's KRaft cluster id: 16 random bytes, URL-safe base64 without padding.
kafka_id=$(openssl rand 16 | base64 | tr '+/' '-_' | tr -d '=\n')
lago_rsa=$(openssl genrsa 2048 2>/dev/null | base64 -w0)

umask 077
tmp=$(mktemp "$OUT.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat >"$tmp" <<ENV
# Written by deploy/gen-env.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Secrets: keep this file 0600,
# out of version control. Every key is described in deploy/.env.example.
COMPOSE_PROFILES=$(IFS=,; echo "${profiles[*]}")
TOLLGATE_DOMAIN=$domain
ACME_EMAIL=$acme_email
TOLLGATE_VERSION=local

# Tollgate's wiring to the chosen profiles (blank: embedded).
TOLLGATE_OPENMETER_URL=$openmeter
TOLLGATE_LAGO_URL=$lago
TOLLGATE_LAGO_WEBHOOK_ISSUER=$lago_issuer
TOLLGATE_HYDRA_ISSUER=$ory_issuer
TOLLGATE_HYDRA_JWKS_URL=$ory_jwks
TOLLGATE_HYDRA_ADMIN_URL=$ory_admin
TOLLGATE_KRATOS_PUBLIC_URL=$kratos
TOLLGATE_KETO_READ_URL=$keto
TOLLGATE_EMBEDDED_ISSUER_PUBLIC=$embedded_public

POSTGRES_PASSWORD=$(hex 24)
TOLLGATE_DB_PASSWORD=$(hex 24)
TOLLGATE_WEBHOOK_SECRET=$(hex 32)

KRATOS_DB_PASSWORD=$(hex 24)
KRATOS_COOKIE_SECRET=$(hex 32)
KRATOS_CIPHER_SECRET=$(hex 16)
KRATOS_UI_COOKIE_SECRET=$(hex 32)
KRATOS_UI_CSRF_SECRET=$(hex 32)
KRATOS_SMTP_URI=smtp://set-your-smtp-server.invalid:587/
HYDRA_DB_PASSWORD=$(hex 24)
HYDRA_SYSTEM_SECRET=$(hex 32)
KETO_DB_PASSWORD=$(hex 24)

OPENMETER_DB_PASSWORD=$(hex 24)
CLICKHOUSE_PASSWORD=$(hex 24)
KAFKA_CLUSTER_ID=$kafka_id

LAGO_API_KEY=$(hex 32)
LAGO_DB_PASSWORD=$(hex 24)
LAGO_REDIS_PASSWORD=$(hex 24)
LAGO_SECRET_KEY_BASE=$(hex 64)
LAGO_ENCRYPTION_PRIMARY_KEY=$(hex 16)
LAGO_ENCRYPTION_DETERMINISTIC_KEY=$(hex 16)
LAGO_ENCRYPTION_KEY_DERIVATION_SALT=$(hex 16)
LAGO_RSA_PRIVATE_KEY=$lago_rsa
LAGO_ORG_NAME=Tollgate
LAGO_ADMIN_EMAIL=admin@$domain
LAGO_ADMIN_PASSWORD=$(hex 16)

GRAFANA_ADMIN_PASSWORD=$(hex 16)
MINIO_ROOT_PASSWORD=$(hex 24)
LANGFUSE_DB_PASSWORD=$(hex 24)
LANGFUSE_REDIS_PASSWORD=$(hex 24)
LANGFUSE_SALT=$(hex 32)
LANGFUSE_ENCRYPTION_KEY=$(hex 32)
LANGFUSE_NEXTAUTH_SECRET=$(hex 32)
LANGFUSE_PUBLIC_KEY=pk-lf-$(hex 16)
LANGFUSE_SECRET_KEY=sk-lf-$(hex 16)
LANGFUSE_ADMIN_EMAIL=admin@$domain
LANGFUSE_ADMIN_PASSWORD=$(hex 16)

LITELLM_MASTER_KEY=sk-$(hex 24)
LITELLM_SALT_KEY=sk-$(hex 24)
LITELLM_DB_PASSWORD=$(hex 24)
OPENAI_API_KEY=
ENV
# Linked, not renamed: a file made meanwhile by another run is never replaced.
ln "$tmp" "$OUT" 2>/dev/null || { printf 'gen-env: %s appeared meanwhile, left as it is\n' "$OUT" >&2; exit 0; }
printf 'gen-env: wrote %s (profiles: %s)\n' "$OUT" "${profiles[*]}" >&2
