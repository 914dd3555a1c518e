#!/usr/bin/env bash
# Router-side benchmarks. Prints figures; asserts nothing. Takes a few minutes (release builds,
# and the one-command-at-a-time run at 2 ms link delay is slow on purpose).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== codec";   cargo bench -q -p protocol --bench codec
echo "== planner"; cargo bench -q -p provisioning --bench plan
echo "== apply";   cargo bench -q -p tests --bench apply

echo "== agent binary and memory"
cargo build -q --release -p edge-agent --bin setu-agent -p tests --bin routeros-sim
echo "setu-agent stripped size: $(stat -c %s target/release/setu-agent) bytes"

work=$(mktemp -d)
trap 'kill "${sim:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
echo pw > "$work/pw"
python3 - "$work/desired.toml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('version = 1\n[[ppp_profiles]]\nname = "setu-10M"\nrates = { download = "10M", upload = "5M" }\n')
    for i in range(20000):
        f.write(f'[[secrets]]\nsubscriber_id = {i + 1}\nname = "sub{i:05}"\npassword = "pw{i:08x}"\nprofile = "setu-10M"\n')
PY
target/release/routeros-sim --listen 127.0.0.1:0 --user setu:pw > "$work/sim.out" &
sim=$!
for _ in $(seq 100); do grep -q listening "$work/sim.out" && break; sleep 0.1; done
addr=$(sed -n 's/^routeros-sim listening on //p' "$work/sim.out")
for pass in "fresh router (20,000 adds)" "converged router (no-op)"; do
  /usr/bin/time -f "%M %e" -o "$work/time" target/release/setu-agent reconcile --router "$addr" \
    --user setu --password-file "$work/pw" --desired "$work/desired.toml" > "$work/out"
  read -r rss secs < "$work/time"
  echo "setu-agent reconcile, $pass: peak RSS $((rss / 1024)) MiB, ${secs} s wall ($(tail -n 1 "$work/out"))"
done
