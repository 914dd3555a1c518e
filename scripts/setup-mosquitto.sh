#!/usr/bin/env bash
# Installs Debian's Mosquitto (not started as a service: the tests start their own instance with
# deploy/mosquitto/setu.acl). Prints the broker binary's path.
set -euo pipefail
if ! command -v mosquitto >/dev/null && [ ! -x /usr/sbin/mosquitto ]; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >&2
fi
# Debian's package may start a system instance on 1883; the tests use their own ports.
command -v mosquitto 2>/dev/null || echo /usr/sbin/mosquitto
