#!/usr/bin/env bash
# Creates .venv with the independent clients the cross-check tests drive (librouteros).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  if ! python3 -m venv .venv 2>/dev/null; then
    # Debian's python3 needs the venv module from its own package.
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    rm -rf .venv && python3 -m venv .venv
  fi
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
.venv/bin/python -c 'import librouteros, sys; print("librouteros", librouteros.__version__ if hasattr(librouteros, "__version__") else "installed", "on", sys.version.split()[0])'
