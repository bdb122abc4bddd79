#!/usr/bin/env bash
# make demo: the most complete end-to-end path that exists today, step by step, with output a
# newcomer can follow. Exits 0 only if every step passed (traffic included).
#   usage: tests/e2e/demo.sh <build-dir>
#
# The steps reuse the e2e/interop test scripts, which build their own network namespaces and clean
# up after themselves (also on Ctrl-C). Issue 7's demo (two nicsecd hosts, each with its own
# simulated NIC, rekeying under traffic) replaces steps 3-5 once nicsecd drives the `sim` backend.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-build}" && pwd)
export NICSEC_SOURCE_DIR=$src NICSEC_BUILD_DIR=$build NICSEC_VECTORS=$src/tests/vectors
step=0 failed=0
bold='' plain=''
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; fi

run_step() {
  local title=$1 explain=$2
  shift 2
  step=$((step + 1))
  printf '\n%s[%d] %s%s\n' "$bold" "$step" "$title" "$plain"
  printf '    %s\n' "$explain"
  "$@" 2>&1 | sed 's/^/    | /'
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then
    printf '    -> ok\n'
  else
    printf '    -> FAILED\n'
    failed=$((failed + 1))
  fi
}

build_facts() {
  grep -E '^(OPENSSL_CRYPTO_LIBRARY|NICSEC_PQC|NICSEC_RTL_SIM):' "$build/CMakeCache.txt"
}

need_root() {
  [ "$(id -u)" -eq 0 ] && return 0
  echo "this step builds network namespaces and TUN devices: run make demo as root"
  return 1
}

script_step() { need_root && bash "$src/$1"; }

run_step "Build configuration" "Which OpenSSL the build uses, whether ML-KEM/ML-DSA are on, whether the RTL is simulated." \
  build_facts
run_step "Probe the simulated NIC" \
  "The ESP engine's RTL runs under Verilator; a driver-style probe reads its registers over AXI4-Lite." \
  "$build/sim/nicsim-probe"
run_step "Two hosts, two simulated NICs, ESP done in RTL" \
  "Namespaces a and b each run nicsim (TUN on the host side, UDP wire between them); static SAs go in through the sim HAL backend; ping crosses; tshark decrypts the wire capture." \
  script_step tests/e2e/nicsim_ping.sh
run_step "nicsecd and strongSwan 5.9.8: a tunnel that carries traffic" \
  "nicsecd (soft backend: TUN + ESP-in-UDP) negotiates IKE and a Child SA with strongSwan (kernel-libipsec), both sides agree on SPIs and keys, then 20 pings and 20 MB each way cross the tunnel." \
  script_step tests/interop/strongswan_datapath.sh
run_step "Two nicsecd hosts: ping and 100 MB through ESP" \
  "Two nicsecd negotiate, install their Child SAs through the HAL into the soft datapath, then ping and move 100 MB, with plain ESP and with ESP-in-UDP." \
  script_step tests/interop/nicsecd_pair_datapath.sh

echo
if [ "$failed" -eq 0 ]; then
  echo "demo: all $step steps passed"
else
  echo "demo: $failed of $step steps FAILED"
fi
[ "$failed" -eq 0 ]
