#!/bin/sh
# Traefik's entrypoint in compose: the self-signed configuration, or the ACME one when
# ACME_EMAIL is set (Traefik reads no environment in a static file, so the address is written
# into a copy). The dynamic routes read TOLLGATE_DOMAIN through the file provider's templates.
set -eu
: "${TOLLGATE_DOMAIN:?}"
if [ -n "${ACME_EMAIL:-}" ]; then
    case $ACME_EMAIL in
        *@*.*) ;;
        *) echo "traefik: ACME_EMAIL is not an e-mail address: $ACME_EMAIL" >&2; exit 2 ;;
    esac
    sed "s|__ACME_EMAIL__|$ACME_EMAIL|" /etc/traefik/traefik.acme.yml >/tmp/traefik.yml
    exec traefik --configFile=/tmp/traefik.yml
fi
exec traefik --configFile=/etc/traefik/traefik.yml
