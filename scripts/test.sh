#!/usr/bin/env bash
# Builds mproc and runs the whole test suite (CTest, one entry per CUnit test).
#   bash scripts/test.sh [preset]        (default: "default")
# Under CI (CI=true) warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
bash scripts/deps-debian.sh
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake --preset "$preset" -DMPROC_WERROR=$werror
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j 2
