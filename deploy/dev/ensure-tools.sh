#!/usr/bin/env bash
# System packages the tests and the PDF renderer need beyond the Rust toolchain, installed
# from Debian's packages when missing (as root, or through `sudo -n`).
#   fonts-dejavu-core  the invoice PDFs' fonts (/usr/share/fonts/truetype/dejavu)
#   poppler-utils      pdftotext, which the PDF tests read invoices back with
#   chromium           with --browser only: the dashboard's browser tests (crates/http/tests/ui);
#                      TOLLGATE_CHROMIUM_PACKAGE=chromium-headless-shell picks the smaller build
set -euo pipefail

missing=()
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
if [[ ${1:-} == --browser ]]; then
    chromium_package=${TOLLGATE_CHROMIUM_PACKAGE:-chromium}
    command -v "$chromium_package" >/dev/null 2>&1 || missing+=("$chromium_package")
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "ensure-tools: please install: ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 1
fi
echo "ensure-tools: installing ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
