#!/usr/bin/env bash
# Runs each fuzz target for a short while (default 30 s). cargo-fuzz needs nightly features;
# RUSTC_BOOTSTRAP lets the stable toolchain (the only one here) provide them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../protocol"
seconds=${1:-30}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
for target in $(RUSTC_BOOTSTRAP=1 cargo fuzz list); do
  echo "fuzzing $target for ${seconds}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds" 2>&1 | tail -n 2
done
