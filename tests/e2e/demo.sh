#!/usr/bin/env bash
# make demo: runs the most complete end-to-end path that exists today, step by step, with output
# a newcomer can follow. Exits 0 only if every step passed.
#   usage: tests/e2e/demo.sh <build-dir>
#
# Today's path: the simulated NIC (RTL engine under Verilator) probed like a driver would, and the
# known-answer checks of each layer that will carry traffic. The two-host tunnel through simulated
# NICs replaces this once nicsecd, the HAL backends and the ESP engine land (docs/ARCHITECTURE.md).
set -uo pipefail
build=${1:-build}
step=0 failed=0
bold='' plain=''
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; fi

run_step() {
  local title=$1
  shift
  step=$((step + 1))
  printf '\n%s[%d] %s%s\n' "$bold" "$step" "$title" "$plain"
  if "$@"; then
    printf '    -> ok\n'
  else
    printf '    -> FAILED\n'
    failed=$((failed + 1))
  fi
}

build_facts() {
  grep -E '^(OPENSSL_CRYPTO_LIBRARY|NICSEC_PQC|NICSEC_RTL_SIM):' "$build/CMakeCache.txt" |
    sed 's/^/    /'
}

probe_nic() {
  [ -x "$build/sim/nicsim-probe" ] || { echo "    RTL simulation is off in this build"; return 1; }
  "$build/sim/nicsim-probe" | sed 's/^/    /'
  return "${PIPESTATUS[0]}"
}

# Runs the ctest tests whose names match $1 and shows one line per test.
run_tests() {
  (cd "$build" && ctest -R "$1" --output-on-failure 2>&1) | grep -E 'Test +#|tests passed|Failed' |
    sed 's/^ */    /'
  return "${PIPESTATUS[0]}"
}

run_step "Build configuration" build_facts
run_step "Probe the simulated NIC: RTL engine in Verilator, reached over AXI4-Lite MMIO" probe_nic
run_step "RTL blocks under their testbenches (known-answer and bus checks)" run_tests '^hw_'
run_step "Host-side layers: wire reader, crypto, codec, HAL (unit and known-answer tests)" \
  run_tests '^unit_'

echo
if [ "$failed" -eq 0 ]; then
  echo "demo: all $step steps passed"
else
  echo "demo: $failed of $step steps FAILED"
fi
[ "$failed" -eq 0 ]
