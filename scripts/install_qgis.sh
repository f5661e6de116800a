#!/usr/bin/env bash
# Install Debian's QGIS (3.22 on Debian 12) for the QGIS plugin tests, if missing.
# Needs root or sudo; without either the QGIS tests are skipped (pytest says why).
set -euo pipefail
if [ -x /usr/bin/qgis_process.bin ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "QGIS is not installed and this user cannot install it: the QGIS tests will be skipped." >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends qgis python3-qgis >/dev/null
