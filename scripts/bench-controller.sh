#!/usr/bin/env bash
# Controller figures: requests/s and p50/p99 of the authenticated branches page (500 rows shown)
# and its JSON twin (50 per page) over 100,000 rows, loaded by wrk from another process, on
# SQLite and on PostgreSQL; argon2id login rate; server RSS idle and under load. Prints figures;
# asserts nothing. Needs root for apt (wrk, PostgreSQL).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build -q --release -p controller --bench serve
bench=$(ls -t target/release/deps/serve-* | grep -v '\.d$' | head -n 1)
duration=${DURATION:-10s}

run() {
  local label=$1 url_env=$2 fifo out
  fifo=$(mktemp -u); mkfifo "$fifo"; out=$(mktemp)
  if [ -n "$url_env" ]; then BENCH_DATABASE_URL=$url_env "$bench" < "$fifo" > "$out" & else "$bench" < "$fifo" > "$out" & fi
  exec 3> "$fifo"
  for _ in $(seq 600); do grep -q '^PID' "$out" && break; sleep 0.1; done
  local url cookie pid
  url=$(sed -n 's/^URL //p' "$out"); cookie=$(sed -n 's/^COOKIE //p' "$out"); pid=$(sed -n 's/^PID //p' "$out")
  echo "== $label: $(sed -n 's/^ROWS //p' "$out") branches; argon2id verifications: $(sed -n 's/^LOGIN_RATE //p' "$out")/s on one core"
  echo "idle RSS: $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MiB"
  for path in "/branches" "/api/v1/branches?limit=50"; do
    wrk -t2 -c16 -d"$duration" --latency -H "Cookie: $cookie" "$url$path" > "$out.wrk"
    rps=$(awk '/Requests\/sec/ {print $2}' "$out.wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$out.wrk"); p99=$(awk '$1 == "99%" {print $2}' "$out.wrk")
    non2xx=$(awk '/Non-2xx/ {print $4}' "$out.wrk")
    echo "GET $path: ${rps} req/s, p50 ${p50}, p99 ${p99}${non2xx:+, non-2xx $non2xx}"
  done
  echo "peak RSS under load: $(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status) MiB"
  exec 3>&-; wait || true; rm -f "$fifo" "$out" "$out.wrk"
}

run "SQLite" ""
pg_admin=$(scripts/setup-postgres.sh 2>/dev/null)
db="setu_bench_$$"
su postgres -c "psql -qc 'CREATE DATABASE $db OWNER setu'" >/dev/null
run "PostgreSQL" "${pg_admin%/*}/$db"
su postgres -c "psql -qc 'DROP DATABASE $db'" >/dev/null
