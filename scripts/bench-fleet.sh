#!/usr/bin/env bash
# Fleet-link benchmarks: office→router latency, 20,000-subscriber convergence with the agent's
# RSS (as its own process), event ingest on SQLite and — when PostgreSQL is available — on
# PostgreSQL. Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build -q --release -p edge-agent --bin setu-agent
export SETU_AGENT_BIN="$PWD/target/release/setu-agent"
echo "== SQLite"
cargo bench -q -p tests --bench fleet
if pg_url=$(scripts/setup-postgres.sh 2>/dev/null); then
  echo "== PostgreSQL"
  SETU_TEST_POSTGRES_URL="$pg_url" cargo bench -q -p tests --bench fleet
fi
