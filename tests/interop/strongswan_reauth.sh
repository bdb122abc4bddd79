#!/usr/bin/env bash
# Interop: make-before-break reauthentication (RFC 7296 2.8.3) between nicsecd and strongSwan
# 5.9.8 under traffic (nicsecd's soft datapath on TUN nsec0, ESP-in-UDP). Argument:
#   nicsecd    nicsecd (reauth_time 10 s) builds the new IKE SA and deletes the old one;
#   strongswan strongSwan (reauth_time 10 s, make_before_break = yes) does, nicsecd responds.
# While it happens, seqflow runs 500 pps each way and ping every 20 ms. Pass = the IKE SPIs
# changed (a new IKE SA, not a rekey: nicsecd lists no IKE rekey), 0 seqflow datagrams and 0
# pings lost, both sides then list one IKE SA and one Child SA that agree (check_sas.py).
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/interop/rig.sh"
WHO=${1:-nicsecd}
SEQFLOW=$BUILD/tests/tools/seqflow
SECONDS_RUN=16

rig_requirements
require_command ping
[ -x "$SEQFLOW" ] || skip "seqflow not built in $BUILD"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
rig_start
rig_right_tun

SWAN_CHARON_EXTRA="make_before_break = yes"
case "$WHO" in
  nicsecd)
    rig_swanctl_conf "rekey_time = 0
    reauth_time = 0" "rekey_time = 0"
    NICSEC_HAL_ARGS="tun=nsec0" rig_nicsecd_conf "    rekey_time: 0
    reauth_time: 10" ;;
  strongswan)
    rig_swanctl_conf "rekey_time = 0
    reauth_time = 10s
    rand_time = 0" "rekey_time = 0"
    NICSEC_HAL_ARGS="tun=nsec0" rig_nicsecd_conf "    rekey_time: 0" ;;
  *) rig_fail "unknown argument $WHO (nicsecd|strongswan)" ;;
esac
rig_start_charon
rig_start_nicsecd

ike_spi() {
  ctl list-sas --json | python3 -c '
import json, sys
sas = [s for s in json.load(sys.stdin)["ike_sas"] if s["state"] == "ESTABLISHED"]
print(len(sas), sas[0]["spi_i"] if sas else "-")'
}

echo "== $WHO reauthenticates under traffic"
ctl initiate peer --timeout 10 >/dev/null || rig_fail "nicsecd could not establish the SAs"
read -r _ spi0 < <(ike_spi)
ip netns exec "$LEFT_NS" "$SEQFLOW" recv --bind 198.51.100.1:5001 --report "$RIG/recv_left.json" \
  --ready "$RIG/left.ready" --timeout $((SECONDS_RUN + 20)) >/dev/null &
recv_left=$!
ip netns exec "$RIGHT_NS" "$SEQFLOW" recv --bind 203.0.113.1:5002 \
  --report "$RIG/recv_right.json" --ready "$RIG/right.ready" --timeout $((SECONDS_RUN + 20)) \
  >/dev/null &
recv_right=$!
for _ in $(seq 100); do
  [ -e "$RIG/left.ready" ] && [ -e "$RIG/right.ready" ] && break
  sleep 0.02
done
ip netns exec "$RIGHT_NS" ping -n -q -i 0.02 -c $((SECONDS_RUN * 40)) -W 2 -I 203.0.113.1 \
  198.51.100.1 >"$RIG/ping.out" 2>&1 &
ping_pid=$!
ip netns exec "$RIGHT_NS" "$SEQFLOW" send --to 198.51.100.1:5001 --pps 500 \
  --seconds "$SECONDS_RUN" >/dev/null &
send_right=$!
ip netns exec "$LEFT_NS" "$SEQFLOW" send --to 203.0.113.1:5002 --pps 500 \
  --seconds "$SECONDS_RUN" >/dev/null &
send_left=$!
wait "$send_right" "$send_left" "$recv_left" "$recv_right" "$ping_pid"
read -r n_ike spi1 < <(ike_spi)
echo "   IKE SPI_i $spi0 -> $spi1 ($n_ike established)"
echo "   right -> left: $(cat "$RIG/recv_left.json")"
echo "   left -> right: $(cat "$RIG/recv_right.json")"
grep "packet loss" "$RIG/ping.out" | sed 's/^/   ping: /'
[ "$spi1" != "$spi0" ] || rig_fail "no reauthentication happened"
grep -q "reauthenticat\|replaces SPI" "$RIG/right/nicsecd.log" ||
  rig_fail "nicsecd's log shows no reauthentication"
grep -q "rekeying IKE SA\|IKE SA rekeyed" "$RIG/right/nicsecd.log" &&
  rig_fail "the IKE SA was rekeyed, not reauthenticated"
for f in recv_left recv_right; do
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["end_seen"] and r["received"] and not r["lost"] else 1)' \
    "$RIG/$f.json" || rig_fail "seqflow lost datagrams ($f)"
done
grep -q " 0% packet loss" "$RIG/ping.out" || rig_fail "pings were lost"
role=$([ "$WHO" = nicsecd ] && echo initiator || echo responder)
for _ in $(seq 100); do # up to 10 s: the old IKE SA's Delete may still be in flight
  [ "$(ike_spi | cut -d' ' -f1)" = 1 ] && rig_check "$role" >/dev/null 2>&1 && break
  sleep 0.1
done
rig_check "$role" || rig_fail "strongSwan and nicsecd disagree after the reauthentication"
echo "PASS"
