#!/usr/bin/env bash
# Runs every fuzz target in protocol/fuzz (`cargo fuzz list`) for a short while; fails if any
# target finds a crash, after running them all.
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]   default 30 s for each target
#   scripts/fuzz-smoke.sh --total SECONDS        a total budget, split evenly across the targets
#
# Each target prints libFuzzer's final line (runs, coverage, corpus size, exec/s). Findings are
# kept in protocol/fuzz/artifacts/<target>/; the corpus grows in protocol/fuzz/corpus/<target>/.
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable toolchain provide them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../protocol"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet

targets=$(cargo fuzz list)
count=$(wc -w <<<"$targets")
if [[ "${1:-}" == "--total" ]]; then
  seconds=$(( ${2:?--total needs a number of seconds} / count ))
else
  seconds=${1:-30}
fi
(( seconds >= 1 )) || seconds=1
echo "fuzzing $count targets for ${seconds}s each"

# One build for every target (they share their dependencies), then the runs.
cargo fuzz build
logs=$(mktemp -d)
failed=()
for target in $targets; do
  log="$logs/$target.log"
  if cargo fuzz run "$target" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
    echo "$target: ${done_line:-$(tail -n 1 "$log")}"
  else
    echo "$target: FAILED:"
    # The finding (panic message or sanitizer report), then how to reproduce it.
    grep -m 1 -A 12 -E 'panicked at|ERROR: (libFuzzer|AddressSanitizer)' "$log" || true
    echo "..."
    tail -n 25 "$log"
    failed+=("$target")
  fi
done
rm -rf "$logs"
if (( ${#failed[@]} )); then
  echo "fuzz findings in: ${failed[*]} (inputs in protocol/fuzz/artifacts/)"
  exit 1
fi
