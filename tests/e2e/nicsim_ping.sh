#!/usr/bin/env bash
# Two simulated NICs carry ping: a nicsim (the Verilated ESP engine between a TUN device and a
# UDP "wire") in each of two network namespaces, joined by a veth pair; a static SA pair
# installed in each through the "sim" HAL backend attached to nicsim's shared-memory BAR
# (nicsim-sa); ping across; then tshark decrypts the wire capture with the static keys and must
# find the ICMP echo requests and replies inside the ESP.
set -euo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/lib/require.sh"
require_netns
require_command ip ping tshark
[ -c /dev/net/tun ] || skip "needs /dev/net/tun"
B=${NICSEC_BUILD_DIR:?}
NICSIM=$B/sim/nicsim
SA_TOOL=$B/offload/sim/nicsim-sa
[ -x "$NICSIM" ] && [ -x "$SA_TOOL" ] || skip "nicsim not built (NICSEC_RTL_SIM=OFF?)"

tag=$$
nsa=nicsec-nsa-$tag nsb=nicsec-nsb-$tag
shma=nicsec-e2e-a-$tag shmb=nicsec-e2e-b-$tag
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$nsa" 2>/dev/null || true
  ip netns del "$nsb" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Test-only static keys: AES-128-GCM key || 4-octet salt (RFC 4106 KEYMAT).
KEY_AB=0102030405060708090a0b0c0d0e0f10a1a2a3a4
KEY_BA=1112131415161718191a1b1c1d1e1f20b1b2b3b4
SPI_AB=0x201 SPI_BA=0x302          # inside the engine's inbound window [256, 4351]
OUTER_A=192.0.2.1 OUTER_B=192.0.2.2 # tunnel endpoints in the ESP outer header

ip netns add "$nsa"
ip netns add "$nsb"
ip link add wa netns "$nsa" type veth peer name wb netns "$nsb"
ip -n "$nsa" addr add 192.168.77.1/24 dev wa
ip -n "$nsb" addr add 192.168.77.2/24 dev wb
for ns in "$nsa" "$nsb"; do ip -n "$ns" link set lo up; done
ip -n "$nsa" link set wa up
ip -n "$nsb" link set wb up

start_nic() { # ns shm peer_ip my_ip pcap
  ip netns exec "$1" "$NICSIM" --shm "$2" --tun nsim0 --wire-bind "$4:7000" \
    --wire-peer "$3:7000" --pcap "$5" 2>"$work/$2.log" &
  pids+=($!)
}
start_nic "$nsa" "$shma" 192.168.77.2 192.168.77.1 "$work/wire.pcap"
start_nic "$nsb" "$shmb" 192.168.77.1 192.168.77.2 "$work/wire-b.pcap"
for _ in $(seq 50); do
  [ -e "/dev/shm/$shma" ] && [ -e "/dev/shm/$shmb" ] && break
  sleep 0.1
done
[ -e "/dev/shm/$shma" ] && [ -e "/dev/shm/$shmb" ] || { cat "$work"/*.log; exit 1; }

setup_inner() { # ns my_inner peer_net
  ip -n "$1" addr add "$2/24" dev nsim0
  ip -n "$1" link set nsim0 mtu 1400 up
  ip -n "$1" route add "$3" dev nsim0
}
setup_inner "$nsa" 10.1.0.1 10.2.0.0/24
setup_inner "$nsb" 10.2.0.1 10.1.0.0/24

start_sas() { # shm local remote remote_net spi_out key_out spi_in key_in
  "$SA_TOOL" "$@" >"$work/$1.sa" 2>&1 &
  pids+=($!)
}
start_sas "$shma" $OUTER_A $OUTER_B 10.2.0.0/24 $SPI_AB $KEY_AB $SPI_BA $KEY_BA
start_sas "$shmb" $OUTER_B $OUTER_A 10.1.0.0/24 $SPI_BA $KEY_BA $SPI_AB $KEY_AB
for _ in $(seq 100); do
  grep -q ready "$work/$shma.sa" 2>/dev/null && grep -q ready "$work/$shmb.sa" 2>/dev/null && break
  sleep 0.1
done
grep -q ready "$work/$shma.sa" && grep -q ready "$work/$shmb.sa" || { cat "$work"/*.sa; exit 1; }

start=$(date +%s%N)
ip netns exec "$nsa" ping -c 10 -i 0.2 -W 2 10.2.0.1 | tee "$work/ping.txt"
grep -q " 0% packet loss" "$work/ping.txt"
ip netns exec "$nsb" ping -c 3 -i 0.2 -W 2 -s 1300 10.1.0.1 | tail -2 | tee "$work/ping-big.txt"
grep -q " 0% packet loss" "$work/ping-big.txt"
echo "ping phase: $(( ($(date +%s%N) - start) / 1000000 )) ms"

# Decrypt the wire capture of NIC A with the static keys; count ICMP echo inside ESP.
sa_entry() { printf '"IPv4","%s","%s","%s","AES-GCM with 16 octet ICV [RFC4106]","0x%s","NULL",""' "$@"; }
decoded=$(tshark -r "$work/wire.pcap" -o esp.enable_encryption_decode:TRUE \
  -o "uat:esp_sa:$(sa_entry $OUTER_A $OUTER_B $SPI_AB $KEY_AB)" \
  -o "uat:esp_sa:$(sa_entry $OUTER_B $OUTER_A $SPI_BA $KEY_BA)" \
  -Y "esp && icmp" -T fields -e esp.spi -e icmp.type -e ip.src 2>/dev/null)
echo "$decoded" | head -4
requests=$(echo "$decoded" | awk '$2 == 8' | wc -l)
replies=$(echo "$decoded" | awk '$2 == 0' | wc -l)
echo "decrypted from the wire: $requests echo requests, $replies echo replies"
[ "$requests" -ge 10 ] && [ "$replies" -ge 10 ]

# Stop the SA holders: their counters, then close (SAs freed, keys zeroized in the engines).
for p in "${pids[@]:2}"; do kill "$p"; wait "$p" || true; done
cat "$work/$shma.sa" "$work/$shmb.sa"
grep -q "^out: packets=13 " "$work/$shma.sa"
grep -q "^in: packets=13 " "$work/$shma.sa"
for p in "${pids[@]:0:2}"; do kill "$p"; wait "$p" || true; done
cat "$work"/*.log
pids=()
echo "nicsim ping: OK"
