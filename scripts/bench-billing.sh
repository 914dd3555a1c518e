#!/usr/bin/env bash
# Billing figures: a run of BENCH_SUBSCRIPTIONS (default 1,000,000) subscriptions on one
# company, on SQLite and on PostgreSQL: wall time, invoices/s, rows written/s, peak RSS; a rerun
# of the period (issues nothing); verify-ledger time; PDF render rate. Prints figures; asserts
# only that the books are sound. Needs root for PostgreSQL (scripts/setup-postgres.sh).
# ONLY=sqlite or ONLY=postgres runs one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build -q --release -p controller --bench billing
bench=$(ls -t "${CARGO_TARGET_DIR:-target}"/release/deps/billing-* | grep -v '\.d$' | head -n 1)

if [ "${ONLY:-sqlite}" = sqlite ]; then
  "$bench"
  rm -rf "${TMPDIR:-/tmp}"/setu-bench-billing-*
fi
if [ "${ONLY:-postgres}" = postgres ]; then
  pg_admin=$(scripts/setup-postgres.sh 2>/dev/null)
  db="setu_bench_billing_$$"
  su postgres -c "psql -qc 'CREATE DATABASE $db OWNER setu'" >/dev/null
  BENCH_DATABASE_URL="${pg_admin%/*}/$db" "$bench"
  su postgres -c "psql -qc 'DROP DATABASE $db'" >/dev/null
fi
