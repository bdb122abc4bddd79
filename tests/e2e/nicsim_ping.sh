#!/usr/bin/env bash
# Two simulated NICs carry traffic at layer 2: in each of two network namespaces a nicsim (the
# Verilated ESP engine between a TAP device, which holds the host's address, and one end of a
# veth pair used as the wire through AF_PACKET). Checks, in order:
#   1. before any SA: ARP and ping of the peer's plain address pass through the bypass;
#   2. a static SA pair installed in each NIC through the "sim" HAL backend attached to nicsim's
#      shared-memory BAR (nicsim-sa); ping across the inner networks, small and large;
#   3. tshark decrypts the wire capture (Ethernet) with the static keys and finds the ICMP echo
#      requests and replies inside the ESP;
#   4. UDP at NICSIM_PPS packets/s (default 2,000) each way at once for NICSIM_PPS_SECONDS (3),
#      through the engine: none lost; the rate achieved is printed;
#   5. the SA holders' and the NICs' counters agree with the traffic.
set -euo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/lib/require.sh"
require_netns
require_command ip ping tshark python3
[ -c /dev/net/tun ] || skip "needs /dev/net/tun"
B=${NICSEC_BUILD_DIR:?}
NICSIM=$B/sim/nicsim
SA_TOOL=$B/offload/sim/nicsim-sa
[ -x "$NICSIM" ] && [ -x "$SA_TOOL" ] || skip "nicsim not built (NICSEC_RTL_SIM=OFF?)"
PPS=${NICSIM_PPS:-2000}
PPS_SECONDS=${NICSIM_PPS_SECONDS:-3}

tag=$$
nsa=nicsec-nsa-$tag nsb=nicsec-nsb-$tag
shma=nicsec-e2e-a-$tag shmb=nicsec-e2e-b-$tag
work=$(mktemp -d)
nic_pids=() sa_pids=() other_pids=()
stop() { # pids...
  local p
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
}
cleanup() {
  local status=$?
  stop "${other_pids[@]}" "${sa_pids[@]}" "${nic_pids[@]}"
  [ "$status" -eq 0 ] || cat "$work"/*.log "$work"/*.sa 2>/dev/null || true
  ip netns del "$nsa" 2>/dev/null || true
  ip netns del "$nsb" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Test-only static keys: AES-128-GCM key || 4-octet salt (RFC 4106 KEYMAT).
KEY_AB=0102030405060708090a0b0c0d0e0f10a1a2a3a4
KEY_BA=1112131415161718191a1b1c1d1e1f20b1b2b3b4
SPI_AB=0x201 SPI_BA=0x302           # inside the engine's inbound window [256, 4351]
HOST_A=192.168.77.1 HOST_B=192.168.77.2 # the TAPs' addresses: the ESP outer header's too

ip netns add "$nsa"
ip netns add "$nsb"
ip link add wa netns "$nsa" type veth peer name wb netns "$nsb"
for ns in "$nsa" "$nsb"; do ip -n "$ns" link set lo up; done
# The wires: up, no address; nicsim owns them (and keeps the host's ARP and IPv6 off them).
ip -n "$nsa" link set wa up
ip -n "$nsb" link set wb up

start_nic() { # ns shm wire mac pcap
  ip netns exec "$1" "$NICSIM" --shm "$2" --tap nsim0 --wire-dev "$3" --mac "$4" \
    --pcap "$5" 2>"$work/$2.log" &
  nic_pids+=($!)
}
start_nic "$nsa" "$shma" wa 02:00:00:00:0a:01 "$work/wire.pcap"
start_nic "$nsb" "$shmb" wb 02:00:00:00:0b:01 "$work/wire-b.pcap"
for _ in $(seq 50); do
  [ -e "/dev/shm/$shma" ] && [ -e "/dev/shm/$shmb" ] && break
  sleep 0.1
done
[ -e "/dev/shm/$shma" ] && [ -e "/dev/shm/$shmb" ] || exit 1

# The host side: the TAP gets the host's address; the inner address sits on lo and the peer's
# inner network is routed via the peer's plain address. 1400 leaves room for the ESP headers.
setup_host() { # ns my_addr my_inner peer_addr peer_net
  ip -n "$1" addr add "$2/24" dev nsim0
  ip -n "$1" link set nsim0 mtu 1400 up
  ip -n "$1" addr add "$3/32" dev lo
  ip -n "$1" route add "$5" via "$4" dev nsim0 src "$3"
}
setup_host "$nsa" $HOST_A 10.1.0.1 $HOST_B 10.2.0.0/24
setup_host "$nsb" $HOST_B 10.2.0.1 $HOST_A 10.1.0.0/24

echo "== 1. bypass: ARP and ping of the peer's plain address, no SA yet"
ip netns exec "$nsa" ping -c 3 -i 0.2 -W 2 $HOST_B | tail -2 | tee "$work/ping-plain.txt"
grep -q " 0% packet loss" "$work/ping-plain.txt"
neigh=$(ip -n "$nsa" neigh show $HOST_B dev nsim0)
echo "A's neighbour: $neigh"
[[ "$neigh" == *02:00:00:00:0b:01* ]]

echo "== 2. static SAs through the HAL, ping across the inner networks"
start_sas() { # shm local remote remote_net spi_out key_out spi_in key_in
  "$SA_TOOL" "$@" >"$work/$1.sa" 2>&1 &
  sa_pids+=($!)
}
start_sas "$shma" $HOST_A $HOST_B 10.2.0.0/24 $SPI_AB $KEY_AB $SPI_BA $KEY_BA
start_sas "$shmb" $HOST_B $HOST_A 10.1.0.0/24 $SPI_BA $KEY_BA $SPI_AB $KEY_AB
for _ in $(seq 100); do
  grep -q ready "$work/$shma.sa" 2>/dev/null && grep -q ready "$work/$shmb.sa" 2>/dev/null && break
  sleep 0.1
done
grep -q ready "$work/$shma.sa" && grep -q ready "$work/$shmb.sa"

start=$(date +%s%N)
ip netns exec "$nsa" ping -c 10 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 | tee "$work/ping.txt"
grep -q " 0% packet loss" "$work/ping.txt"
ip netns exec "$nsb" ping -c 3 -i 0.2 -W 2 -s 1300 -I 10.2.0.1 10.1.0.1 | tail -2 |
  tee "$work/ping-big.txt"
grep -q " 0% packet loss" "$work/ping-big.txt"
echo "ping phase: $(( ($(date +%s%N) - start) / 1000000 )) ms"

echo "== 3. tshark decrypts the wire capture of NIC A"
sa_entry() { printf '"IPv4","%s","%s","%s","AES-GCM with 16 octet ICV [RFC4106]","0x%s","NULL",""' "$@"; }
decoded=$(tshark -r "$work/wire.pcap" -o esp.enable_encryption_decode:TRUE \
  -o "uat:esp_sa:$(sa_entry $HOST_A $HOST_B $SPI_AB $KEY_AB)" \
  -o "uat:esp_sa:$(sa_entry $HOST_B $HOST_A $SPI_BA $KEY_BA)" \
  -Y "eth && esp && icmp" -T fields -e esp.spi -e icmp.type -e ip.src 2>/dev/null)
echo "$decoded" | head -4
requests=$(echo "$decoded" | awk '$2 == 8' | wc -l)
replies=$(echo "$decoded" | awk '$2 == 0' | wc -l)
echo "decrypted from the wire: $requests echo requests, $replies echo replies"
[ "$requests" -ge 10 ] && [ "$replies" -ge 10 ]

echo "== 4. $PPS packets/s of UDP each way for $PPS_SECONDS s through the engines"
count=$((PPS * PPS_SECONDS))
udp_flow() { # ns src dst port out: receive on dst:port in the peer, send from src
  python3 - "$@" <<'PY'
import socket, sys, time
role, src, dst, port, count, pps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if role == "recv":
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((dst, port))
    s.settimeout(3)
    print("listening", flush=True)
    seen, first, last = set(), None, None
    try:
        while len(seen) < count:
            data = s.recv(2048)
            last = time.monotonic()
            first = first or last
            seen.add(int.from_bytes(data[:4], "big"))
    except socket.timeout:
        pass
    rate = (len(seen) - 1) / (last - first) if len(seen) > 1 else 0
    print(f"received {len(seen)} of {count} ({rate:.0f} packets/s)")
    sys.exit(0 if len(seen) == count else 1)
s.bind((src, 0))
start = time.monotonic()
sent = 0
while sent < count:  # paced in 5 ms bursts: sleeping leaves the CPUs to the two nicsims
    due = min(count, int((time.monotonic() - start) * pps) + 1)
    for i in range(sent, due):
        s.sendto(i.to_bytes(4, "big") + bytes(60), (dst, port))
    sent = due
    time.sleep(0.005)
print(f"sent {count} in {time.monotonic() - start:.2f} s")
PY
}
ip netns exec "$nsb" bash -c "$(declare -f udp_flow); udp_flow recv 10.1.0.1 10.2.0.1 9000 $count $PPS" \
  >"$work/recv-b.txt" &
other_pids+=($!)
ip netns exec "$nsa" bash -c "$(declare -f udp_flow); udp_flow recv 10.2.0.1 10.1.0.1 9000 $count $PPS" \
  >"$work/recv-a.txt" &
other_pids+=($!)
for _ in $(seq 50); do
  grep -q listening "$work/recv-a.txt" "$work/recv-b.txt" 2>/dev/null &&
    [ "$(grep -l listening "$work"/recv-*.txt | wc -l)" = 2 ] && break
  sleep 0.1
done
ip netns exec "$nsa" bash -c "$(declare -f udp_flow); udp_flow send 10.1.0.1 10.2.0.1 9000 $count $PPS" &
send_a=$!
ip netns exec "$nsb" bash -c "$(declare -f udp_flow); udp_flow send 10.2.0.1 10.1.0.1 9000 $count $PPS"
wait $send_a
flow_ok=0
for p in "${other_pids[@]}"; do wait "$p" || flow_ok=1; done
other_pids=()
echo "A->B: $(tail -1 "$work/recv-b.txt")"
echo "B->A: $(tail -1 "$work/recv-a.txt")"
[ "$flow_ok" = 0 ]

echo "== 5. counters"
stop "${sa_pids[@]}"
sa_pids=()
cat "$work/$shma.sa" "$work/$shmb.sa"
total=$((13 + count))
grep -q "^out: packets=$total " "$work/$shma.sa"
grep -q "^in: packets=$total " "$work/$shma.sa"
stop "${nic_pids[@]}"
nic_pids=()
cat "$work/$shma.log" "$work/$shmb.log"
grep -q "steered=$total" "$work/$shma.log"
grep -q " esp=$total" "$work/$shma.log"
echo "nicsim ping: OK"
