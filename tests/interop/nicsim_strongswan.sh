#!/usr/bin/env bash
# A real peer on nicsim's wire: strongSwan 5.9.8 (charon-systemd, kernel-libipsec) in the left
# namespace on a plain veth; on the right, nicsim owns the other veth end (AF_PACKET) and the
# host's address 192.0.2.2 sits on nicsim's TAP device. The engine is started through the sim
# HAL (nicsim-sa with one static SA pair whose SPIs and selector no test packet uses), so this
# shows what a running NIC must pass to the host untouched for IKE to work at all:
#   1. ARP and ping of the host's plain address (bypass both ways; the host's neighbour entry
#      on the peer is the TAP's MAC, not the veth's);
#   2. UDP to 4500 behind the zero non-ESP marker (IKE), a NAT keepalive, and ESP-in-UDP and
#      ESP with SPIs the engine does not hold (the engine says "no SA", the host gets the
#      frame) reach the host's sockets byte for byte; the peer kernel's partial checksums are
#      completed on the way, or the host would drop them;
#   3. strongSwan's own IKE_SA_INIT (initiated with swanctl) reaches the host on UDP 500;
#   4. nicsim's counters: each of those under its own reason, nothing steered, nothing dropped.
# The full IKE + ESP interop through nicsim with nicsecd is tests/interop (other scripts).
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/interop/rig.sh"
NICSIM=$BUILD/sim/nicsim
SA_TOOL=$BUILD/offload/sim/nicsim-sa

require_netns
require_command swanctl python3 ip ping
[ -x /usr/sbin/charon-systemd ] || skip "needs charon-systemd (strongSwan 5.9.8, .ci/setup)"
[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
  skip "needs strongSwan's kernel-libipsec plugin (libcharon-extra-plugins)"
[ -c /dev/net/tun ] || skip "needs /dev/net/tun"
[ -x "$NICSIM" ] && [ -x "$SA_TOOL" ] || skip "nicsim not built (NICSEC_RTL_SIM=OFF?)"

rig_start
NICSIM_PID="" SA_PID=""
SHM=nicsec-interop-$$
stop_nicsim() {
  local p
  for p in $SA_PID $NICSIM_PID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  NICSIM_PID="" SA_PID=""
}
trap 'status=$?; stop_nicsim; (exit $status); rig_cleanup' EXIT
TAP_MAC=02:00:00:00:0c:02

# The right side's address moves from the veth (now nicsim's wire) to nicsim's TAP.
ip -n "$RIGHT_NS" addr del 192.0.2.2/24 dev veth-r
ip netns exec "$RIGHT_NS" "$NICSIM" --shm "$SHM" --tap nsim0 --wire-dev veth-r --mac $TAP_MAC \
  2>"$RIG/nicsim.log" &
NICSIM_PID=$!
for _ in $(seq 100); do
  [ -e "/dev/shm/$SHM" ] && break
  sleep 0.05
done
[ -e "/dev/shm/$SHM" ] || rig_fail "nicsim did not start: $(cat "$RIG/nicsim.log")"
ip -n "$RIGHT_NS" addr add 192.0.2.2/24 dev nsim0
ip -n "$RIGHT_NS" link set nsim0 up
"$SA_TOOL" "$SHM" 192.0.2.2 192.0.2.1 198.51.100.1/32 0x301 \
  0102030405060708090a0b0c0d0e0f10a1a2a3a4 0x401 1112131415161718191a1b1c1d1e1f20b1b2b3b4 \
  >"$RIG/sa.out" 2>&1 &
SA_PID=$!
for _ in $(seq 100); do
  grep -q ready "$RIG/sa.out" && break
  sleep 0.05
done
grep -q ready "$RIG/sa.out" || rig_fail "nicsim-sa could not start the engine: $(cat "$RIG/sa.out")"

echo "== 1. ARP and ping of the host's plain address through nicsim"
ip netns exec "$LEFT_NS" ping -c 5 -i 0.1 -W 2 192.0.2.2 >"$RIG/ping.out" 2>&1
tail -2 "$RIG/ping.out"
grep -q " 0% packet loss" "$RIG/ping.out" || rig_fail "pings to the host were lost"
neigh=$(ip -n "$LEFT_NS" neigh show 192.0.2.2 dev veth-l)
echo "   the peer's neighbour entry: $neigh"
[[ "$neigh" == *$TAP_MAC* ]] || rig_fail "the host's address does not resolve to its TAP"

# Listens on the host's UDP 500 and 4500 and a raw ESP socket; prints each payload in hex as
# "<port> <hex>" (ESP: "esp <hex>" of the ESP header on), until `count` have arrived or 8 s.
listen() {
  ip netns exec "$RIGHT_NS" python3 - "$RIG/listening" "$1" <<'PY' >"$RIG/host.rx" 2>&1 &
import select, socket, sys
ready, count = sys.argv[1], int(sys.argv[2])
socks = {}
for port in (500, 4500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.2", port))
    socks[s] = str(port)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
socks[raw] = "esp"
open(ready, "w").close()
seen = 0
while seen < count:
    r, _, _ = select.select(list(socks), [], [], 8)
    if not r:
        break
    for s in r:
        data = s.recv(65535)
        if socks[s] == "esp":
            data = data[(data[0] & 15) * 4:]  # raw IPv4 sockets hand over the IP header
        print(socks[s], data.hex(), flush=True)
        seen += 1
PY
  LISTEN_PID=$!
  for _ in $(seq 100); do
    [ -e "$RIG/listening" ] && return 0
    sleep 0.05
  done
  rig_fail "the host's listener did not start"
}

echo "== 2. IKE behind the zero marker, a NAT keepalive, ESP for SPIs the engine does not hold"
IKE_4500=00000000$(printf '11%.0s' $(seq 8))0000000000000000292023080000000000000024
KEEPALIVE=ff
ESP_UDP=00001234000000010102030405060708090a0b0c0d0e0f10
ESP_RAW=00005678000000020102030405060708090a0b0c0d0e0f10
listen 4
ip netns exec "$LEFT_NS" python3 - "$IKE_4500" "$KEEPALIVE" "$ESP_UDP" "$ESP_RAW" <<'PY'
import socket, sys, time
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("192.0.2.1", 4500))
for payload in sys.argv[1:4]:
    udp.sendto(bytes.fromhex(payload), ("192.0.2.2", 4500))
    time.sleep(0.05)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
raw.sendto(bytes.fromhex(sys.argv[4]), ("192.0.2.2", 0))
PY
wait "$LISTEN_PID"
cat "$RIG/host.rx"
for expect in "4500 $IKE_4500" "4500 $KEEPALIVE" "4500 $ESP_UDP" "esp $ESP_RAW"; do
  grep -qx "$expect" "$RIG/host.rx" || rig_fail "the host did not receive: $expect"
done

echo "== 3. strongSwan's IKE_SA_INIT reaches the host on UDP 500"
rm -f "$RIG/listening"
listen 1
rig_swanctl_conf
rig_start_charon
timeout 5 swanctl --initiate --child net --timeout 2 \
  --uri "unix://$RIG/left/charon.vici" >"$RIG/initiate.out" 2>&1 &
wait "$LISTEN_PID"
head -c 200 "$RIG/host.rx"
echo
# IKE header: SPIi (8), SPIr = 0 (8), next payload SA (33), version 2.0 (0x20), IKE_SA_INIT (34).
grep -Eq '^500 [0-9a-f]{16}0{16}212022' "$RIG/host.rx" ||
  rig_fail "no IKE_SA_INIT from strongSwan reached the host"

echo "== 4. nicsim's counters"
stop_nicsim
cat "$RIG/nicsim.log"
counter() { grep -o " $1=[0-9]*" "$RIG/nicsim.log" | head -1 | cut -d= -f2; }
[ "$(counter esp_in_udp)" = 1 ] && [ "$(counter esp)" = 1 ] ||
  rig_fail "ESP and ESP-in-UDP should each have gone to the engine once"
[ "$(counter no_sa)" = 2 ] && [ "$(counter rx_to_host)" = 2 ] ||
  rig_fail "the engine's two 'no SA' verdicts should have gone to the host"
[ "${counter_ike:=$(counter ike)}" -ge 2 ] && [ "$(counter natt_keepalive)" = 1 ] ||
  rig_fail "IKE and the keepalive should have bypassed the engine"
[ -z "$(counter steered)" ] || rig_fail "nothing should have been steered"
[ "$(counter wire_csum_completed)" -ge 1 ] ||
  rig_fail "the peer's partial checksums should have been completed"
echo "nicsim with a strongSwan peer: OK"
