#!/usr/bin/env bash
# Architecture invariants (ARCHITECTURE.md): `provisioning`, `protocol` and `billing-core` do no I/O.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0
for crate in provisioning protocol billing-core; do
  deps=$(cargo tree -p "$crate" -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
  for banned in tokio sqlx rumqttc rumqttd axum hyper mio; do
    if grep -qx "$banned" <<<"$deps"; then
      echo "invariant broken: $crate depends on $banned" >&2
      status=1
    fi
  done
done
[ "$status" = 0 ] && echo "provisioning, protocol and billing-core are free of I/O crates"
exit "$status"
