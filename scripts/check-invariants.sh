#!/usr/bin/env bash
# Architecture invariants (ARCHITECTURE.md): `provisioning`, `protocol` and `billing-core` do no I/O;
# `invoice-pdf` reads no fonts or files from the machine and fetches nothing.
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
# invoice-pdf renders from embedded fonts and in-memory files only: no typst-kit (system fonts,
# package downloads), no HTTP client, no async runtime or database.
deps=$(cargo tree -p invoice-pdf -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
for banned in typst-kit ureq reqwest tokio sqlx; do
  if grep -qx "$banned" <<<"$deps"; then
    echo "invariant broken: invoice-pdf depends on $banned" >&2
    status=1
  fi
done
[ "$status" = 0 ] && echo "provisioning, protocol and billing-core are free of I/O crates; invoice-pdf of fetching ones"
exit "$status"
