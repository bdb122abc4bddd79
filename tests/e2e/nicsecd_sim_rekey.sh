#!/usr/bin/env bash
# Lossless rekey through simulated NICs (label e2e): two hosts, each a nicsim (the Verilated ESP
# engine) driven by a nicsecd with the `sim` backend. Side 0 rekeys the Child SA every second
# (rekey_time 1, no jitter) for NICSEC_SIM_REKEY_SECONDS (default 60) while seqflow sends
# sequence-numbered UDP each way at NICSEC_SIM_REKEY_PPS (default 1,000) through the NICs.
# Packets nicsim already steered to the old outbound SA when nicsecd stops it must still leave:
# the engine keeps that SA until they are through (without holding nicsecd), and a stopped SA
# drains within a bounded number of engine cycles even though the engine is never idle under load.
# Pass =
#   - both receivers saw every sequence number (0 lost) and the sender's end marker;
#   - at least 0.8 Child rekeys a second were installed;
#   - no replay drop and no auth failure on either NIC, counting the SAs already freed
#     (nicsecd keeps their final counters: stats retired_*);
#   - afterwards `nicsecctl audit` finds daemon and NIC in agreement and each NIC holds at most
#     the SAs of one rekey in progress (4); after terminate none.
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/lib/require.sh"
source "$NICSEC_SOURCE_DIR/tests/lib/pair.sh"
source "$NICSEC_SOURCE_DIR/tests/lib/simnic.sh"
simnic_requirements
SEQFLOW=$NICSEC_BUILD_DIR/tests/tools/seqflow
[ -x "$SEQFLOW" ] || skip "seqflow not built in $NICSEC_BUILD_DIR"
RUN_S=${NICSEC_SIM_REKEY_SECONDS:-60}
PPS=${NICSEC_SIM_REKEY_PPS:-1000}

pair_init nicsec-simrekey nicsec-k
simnic_start
# inbound_drain_ms: how long a replaced inbound SA keeps receiving: ESP the peer sent on the old
# SA just before it switched is still in its NIC's pipeline or on the wire.
simnic_config 0 "" "        rekey_time: 1
        rand_time: 0
        life_time: 30" "  inbound_drain_ms: 500"
simnic_config 1 "" "        rekey_time: 0" "  inbound_drain_ms: 500"
simnic_start_daemons
simctl 0 initiate peer --timeout 10 >/dev/null || fail "the tunnel was not established"

# start_receiver <side> <port>
start_receiver() {
  local i=$1 port=$2
  ip netns exec "${NS[$i]}" "$SEQFLOW" recv --bind "${NET[$i]}:$port" --ready "$RIG/recv$i.ready" \
    --report "$RIG/recv$i.json" --timeout $((RUN_S + 30)) --linger-ms 1000 --expect-lossless \
    >/dev/null 2>"$RIG/recv$i.err" &
  RECEIVERS+=($!)
  for _ in $(seq 100); do
    [ -e "$RIG/recv$i.ready" ] && return 0
    sleep 0.02
  done
  fail "the seqflow receiver of side $i did not start"
}

echo "== $RUN_S s of seqflow at $PPS packets/s each way while side 0 rekeys every second"
RECEIVERS=()
start_receiver 1 5001
start_receiver 0 5002
before=$(grep -c "child net (ike#[0-9]*) INSTALLED" "$RIG/side0/nicsecd.log")
ip netns exec "${NS[0]}" "$SEQFLOW" send --to "${NET[1]}:5001" --pps "$PPS" --seconds "$RUN_S" \
  --size 200 >"$RIG/send0.json" &
sender0=$!
ip netns exec "${NS[1]}" "$SEQFLOW" send --to "${NET[0]}:5002" --pps "$PPS" --seconds "$RUN_S" \
  --size 200 >"$RIG/send1.json" &
sender1=$!
wait "$sender0" && wait "$sender1" || fail "a seqflow sender failed"
lossless=0
wait "${RECEIVERS[0]}" || lossless=1
wait "${RECEIVERS[1]}" || lossless=1
rekeys=$(($(grep -c "child net (ike#[0-9]*) INSTALLED" "$RIG/side0/nicsecd.log") - before))
for i in 0 1; do
  echo "   side $i -> $((1 - i)): sent $(cat "$RIG/send$i.json")"
  echo "              received $(cat "$RIG/recv$((1 - i)).json")"
done
echo "   Child SA rekeys during the run: $rekeys ($(awk "BEGIN {printf \"%.2f\", $rekeys / $RUN_S}")/s)"
[ "$lossless" = 0 ] || fail "datagrams were lost across the rekeys"
[ $((rekeys * 10)) -ge $((RUN_S * 8)) ] || fail "only $rekeys rekeys in $RUN_S s"
simnic_no_drops 0 1 || fail "a NIC counted replay drops or auth failures"

echo "== the old SAs are gone from both NICs (side 0 keeps rekeying: audited, not frozen)"
for i in 0 1; do
  simnic_audit "$i" || fail "side $i: the NIC holds SAs nicsecd does not, or too many"
done
simctl 0 terminate peer --timeout 10 >/dev/null || fail "terminate failed"
for i in 0 1; do
  simnic_wait_table "$i" empty 5 || fail "side $i: the NIC still holds SAs after terminate"
done
echo "PASS"
