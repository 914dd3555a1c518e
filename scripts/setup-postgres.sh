#!/usr/bin/env bash
# Installs (Debian's package) and starts PostgreSQL with a `setu` superuser for the store tests.
# Prints the admin URL the tests create their databases from.
set -euo pipefail
if ! command -v pg_lsclusters >/dev/null; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
read -r version cluster _ < <(pg_lsclusters --no-header | head -n 1)
pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'setu'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE setu LOGIN SUPERUSER PASSWORD 'setu'\"" >&2
echo "postgres://setu:setu@127.0.0.1:5432/postgres"
echo "restart: pg_ctlcluster $version $cluster restart" >&2
