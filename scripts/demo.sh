#!/usr/bin/env bash
# Installs what is missing, builds mproc and runs the demo: every example, one program each.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps-debian.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" >/dev/null
cmake --build --preset default --target demo
