#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data directory (the image's
# docker-entrypoint.sh sources every file of /docker-entrypoint-initdb.d). One login role and
# one database per service, each owned by its role, so no service can read another's data.
# Lago is not here: it runs its own PostgreSQL (getlago/postgres-partman) as Lago requires.
# Passwords come from the environment compose gives this container (deploy/.env).
set -euo pipefail

make_service_db() {
    local name=$1 password=$2
    if [[ -z $password ]]; then
        echo "10-service-roles: no password for $name" >&2
        return 1
    fi
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        --set=name="$name" --set=password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
}

make_service_db tollgate "${TOLLGATE_DB_PASSWORD:-}"
make_service_db kratos "${KRATOS_DB_PASSWORD:-}"
make_service_db hydra "${HYDRA_DB_PASSWORD:-}"
make_service_db keto "${KETO_DB_PASSWORD:-}"
make_service_db openmeter "${OPENMETER_DB_PASSWORD:-}"
make_service_db langfuse "${LANGFUSE_DB_PASSWORD:-}"
make_service_db litellm "${LITELLM_DB_PASSWORD:-}"
