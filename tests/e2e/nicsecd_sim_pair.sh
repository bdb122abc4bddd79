#!/usr/bin/env bash
# Two hosts, each with its own simulated NIC (label e2e): in each of two namespaces a nicsim runs
# the Verilated ESP engine and a nicsecd with the `sim` backend attached to it installs the
# Child SAs into the NIC's tables (outbound with its selector into the TX steering table). The
# daemons never touch a packet: the NICs encrypt and decrypt.
#   1. side 0 initiates; the NIC of each side holds exactly the daemon's two SAs;
#   2. 20 pings across, 0% loss; the NIC counters saw them;
#   3. under a ping every 20 ms, side 0 rekeys the Child SA (every 4 s) and side 1 the IKE SA
#      (rekey_time 12 s, so once in the window): no ping lost, new SPIs on both levels;
#   4. once the rekeyed inbound SAs drained, each NIC holds exactly the daemon's current two SAs
#      (the old ones are gone), no auth failure or replay drop anywhere;
#   5. terminate: both NIC tables empty.
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/lib/require.sh"
source "$NICSEC_SOURCE_DIR/tests/lib/pair.sh"
source "$NICSEC_SOURCE_DIR/tests/lib/simnic.sh"
simnic_requirements
require_command ping
REKEY_WINDOW_S=${NICSEC_SIM_REKEY_SECONDS:-14}

pair_init nicsec-simpair nicsec-s
simnic_start
echo "== two hosts, each with its own simulated NIC (nicsim) and nicsecd (sim backend)"
simnic_config 0 "" "        rekey_time: 4
        rand_time: 0
        life_time: 60" "  inbound_drain_ms: 500"
simnic_config 1 "    rekey_time: 12" "        rekey_time: 0" "  inbound_drain_ms: 500"
simnic_start_daemons

echo "== 1. side 0 initiates; the NICs hold the SAs"
simctl 0 initiate peer --timeout 10 >/dev/null || fail "the tunnel was not established"
simnic_wait_table 0 current 5 || fail "side 0: the NIC does not hold the daemon's SAs"
simnic_wait_table 1 current 5 || fail "side 1: the NIC does not hold the daemon's SAs"
read -r ike0 child0 < <(simnic_spis 0)
simnic_show 0 "the SAs as the NIC holds them"

echo "== 2. 20 pings across"
ip netns exec "${NS[0]}" ping -n -q -c 20 -i 0.05 -W 2 -I "${NET[0]}" "${NET[1]}" >"$RIG/ping.out"
grep "packet loss" "$RIG/ping.out" | sed 's/^/   /'
grep -q " 0% packet loss" "$RIG/ping.out" || fail "pings were lost"

echo "== 3. rekeys under traffic ($REKEY_WINDOW_S s of pings every 20 ms)"
ip netns exec "${NS[0]}" ping -n -q -i 0.02 -c $((REKEY_WINDOW_S * 50)) -W 2 -I "${NET[0]}" \
  "${NET[1]}" >"$RIG/ping-rekey.out" 2>&1
grep "packet loss" "$RIG/ping-rekey.out" | sed 's/^/   /'
grep -q " 0% packet loss" "$RIG/ping-rekey.out" || fail "pings were lost across the rekeys"
read -r ike1 child1 < <(simnic_spis 0)
children=$(grep -c "child net (ike#[0-9]*) INSTALLED" "$RIG/side0/nicsecd.log")
echo "   IKE SA $ike0 -> $ike1, Child SA $child0 -> $child1, $children Child SAs installed"
[ "$ike0" != "$ike1" ] || fail "the IKE SA was not rekeyed"
[ "$child0" != "$child1" ] && [ "$children" -ge 3 ] || fail "the Child SA was not rekeyed"

echo "== 4. the old SAs are gone from both NICs"
for i in 0 1; do
  simnic_wait_table "$i" current 5 || fail "side $i: the NIC table is not the daemon's current SAs"
done
simnic_no_drops 0 1 || fail "a NIC counted auth failures or replay drops"
for i in 0 1; do
  simnic_show "$i" "after the rekeys"
done

echo "== 5. terminate: both NIC tables empty"
simctl 0 terminate peer --timeout 10 >/dev/null || fail "terminate failed"
for i in 0 1; do
  simnic_wait_table "$i" empty 5 || fail "side $i: the NIC still holds SAs"
done
echo "   both NICs empty"
echo "PASS"
