#!/usr/bin/env bash
# Installs what the invoice PDF tool tests need (controller/invoice-pdf/tests/it/tools.rs,
# SETU_PDF_TOOLS=1): poppler-utils (pdffonts, pdftotext, pdftoppm), ImageMagick (compare) and
# zbar-tools (zbarimg, which decodes the QR code from the rendered page).
# Debian 12, root. Idempotent and quiet: installs only what is missing.
set -euo pipefail

missing=()
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
command -v compare >/dev/null || missing+=(imagemagick)
command -v zbarimg >/dev/null || missing+=(zbar-tools)
if [ ${#missing[@]} -gt 0 ]; then
  # apt and debconf chatter goes to a log that is shown only if the install fails.
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup-pdf-tools: could not install ${missing[*]}" >&2
    exit 1
  fi
fi
