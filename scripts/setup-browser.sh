#!/usr/bin/env bash
# Installs what the browser tests need (controller/tests/it/browser.rs, SETU_BROWSER_TESTS=1):
# Debian's Chromium at /usr/bin/chromium, a Bangla font, and playwright-core from
# controller/tests/browser/package-lock.json. playwright-core downloads no browser (`npx playwright
# install` does not work here and is not used).
# Idempotent. Needs root (apt-get) the first time, Node.js 20+ and npm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# fonts-noto-core carries Noto Sans Bengali, the page style's Bangla font; without a Bangla font
# the screenshots show boxes (the tests' checks read text, not pixels).
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-core 2>/dev/null | grep -q 'ok installed' || missing+=(fonts-noto-core)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v node >/dev/null || { echo "setup-browser: Node.js is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup-browser: npm is not installed" >&2; exit 1; }

(cd controller/tests/browser && npm ci --no-audit --no-fund --loglevel=error)

# Chromium's launcher prints a harmless shell warning from /etc/chromium.d on some machines.
/usr/bin/chromium --version 2>/dev/null
echo "node $(node --version), npm $(npm --version)"
echo "playwright-core $(cd controller/tests/browser && node -p 'require("playwright-core/package.json").version')"
