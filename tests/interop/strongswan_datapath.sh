#!/usr/bin/env bash
# Interop with traffic: nicsecd's soft backend carries real packets to and from strongSwan 5.9.8
# (kernel-libipsec, ESP-in-UDP on port 4500). nicsecd negotiates the Child SA and installs it
# through the HAL; its event loop drives the device's datapath: plaintext on the TUN device
# nsec0 (inner 203.0.113.1, route to 198.51.100.1 via it), ESP-in-UDP on nicsecd's own NAT-T
# socket, which it shares with IKE.
#   1. nicsecd initiates; both sides agree on the SAs (check_sas.py);
#   2. 20 pings across with 0% loss;
#   3. a TCP transfer each way (NICSEC_INTEROP_MEGABYTES, default 20 MB), SHA-256 equal on
#      both ends;
#   4. nicsecd's datapath counters: ESP-in-UDP both ways, no decap errors.
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/interop/rig.sh"
XFER=$NICSEC_SOURCE_DIR/tests/e2e/soft_xfer.py
MEGABYTES=${NICSEC_INTEROP_MEGABYTES:-20}
PINGS=20

rig_requirements
require_command ping
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
rig_start

# The inner address moves from lo to the TUN device, which is created persistent and configured
# before nicsecd attaches to it. 1400 leaves room for outer IP + UDP + ESP in the veth's 1500.
ip -n "$RIGHT_NS" addr del 203.0.113.1/32 dev lo
ip -n "$RIGHT_NS" tuntap add dev nsec0 mode tun
ip -n "$RIGHT_NS" link set nsec0 mtu 1400 up
ip -n "$RIGHT_NS" addr add 203.0.113.1/32 dev nsec0
ip -n "$RIGHT_NS" route add 198.51.100.1/32 dev nsec0 src 203.0.113.1

rig_swanctl_conf
NICSEC_HAL_ARGS="tun=nsec0" rig_nicsecd_conf
rig_start_charon
rig_start_nicsecd
grep -q "HAL datapath:.*descriptors" "$RIG/right/nicsecd.log" ||
  rig_fail "nicsecd did not put the soft datapath into its event loop"

echo "== 1. nicsecd initiates"
ctl initiate peer --timeout 10 || rig_fail "nicsecd could not establish the IKE/Child SA"
rig_check initiator || rig_fail "strongSwan and nicsecd disagree"

echo "== 2. $PINGS pings across the tunnel"
ip netns exec "$RIGHT_NS" ping -n -q -c "$PINGS" -i 0.05 -W 2 -I 203.0.113.1 198.51.100.1 \
  >"$RIG/ping.out" 2>&1
cat "$RIG/ping.out"
grep -q " 0% packet loss" "$RIG/ping.out" || rig_fail "pings were lost"

# transfer <sender-ns> <receiver-ns> <receiver-addr> <port>
transfer() {
  local from=$1 to=$2 addr=$3 port=$4 ready=$RIG/xfer-$4.ready recv_pid sent received t0 t1
  ip netns exec "$to" python3 "$XFER" recv "$addr" "$port" "$ready" >"$RIG/recv-$port.out" 2>&1 &
  recv_pid=$!
  for _ in $(seq 100); do
    [ -e "$ready" ] && break
    sleep 0.02
  done
  [ -e "$ready" ] || rig_fail "the receiver did not start listening"
  t0=$(now_ms)
  sent=$(ip netns exec "$from" python3 "$XFER" send "$addr" "$port" "$MEGABYTES") ||
    rig_fail "sender failed: $sent"
  wait "$recv_pid" || rig_fail "receiver failed: $(cat "$RIG/recv-$port.out")"
  t1=$(now_ms)
  received=$(cat "$RIG/recv-$port.out")
  [ "$sent" = "$received" ] || rig_fail "sent '$sent' but received '$received'"
  echo "   $MEGABYTES MB in $((t1 - t0)) ms ($((MEGABYTES * 8000 / (t1 - t0 + 1))) Mbit/s)," \
    "sha256 ${sent#* } on both ends"
}

echo "== 3. TCP transfers"
echo "   nicsecd -> strongSwan"
transfer "$RIGHT_NS" "$LEFT_NS" 198.51.100.1 5001
echo "   strongSwan -> nicsecd"
transfer "$LEFT_NS" "$RIGHT_NS" 203.0.113.1 5002

echo "== 4. nicsecd datapath counters"
# The control socket speaks one JSON request per line; "metrics" carries the device counters.
python3 - "$RIG/right/ctl.sock" "$((PINGS + MEGABYTES * 700))" <<'PY' || rig_fail "datapath counters are wrong"
import json, socket, sys
with socket.socket(socket.AF_UNIX) as s:
    s.connect(sys.argv[1])
    s.sendall(b'{"cmd":"metrics"}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
reply = json.loads(buf)
dp, daemon = reply["devices"][0]["datapath"], reply["stats"]
print("   ", {k: dp[k] for k in ("plain_in", "plain_out", "udp_in", "udp_out", "decap_errors",
                                 "encap_errors", "io_errors")},
      "esp_unhandled", daemon["esp_unhandled"])
least = int(sys.argv[2])  # each MB is ~700 full-size segments one way, ~350 ACKs the other
bad = [k for k in ("udp_in", "udp_out") if dp[k] < least]
bad += [k for k in ("decap_errors", "encap_errors") if dp[k] != 0]
bad += ["esp_unhandled"] if daemon["esp_unhandled"] != 0 else []
sys.exit(f"    unexpected: {bad}" if bad else 0)
PY
echo "PASS"
