#!/usr/bin/env bash
# e2e: two hosts (network namespaces joined by a veth pair, outer 192.0.2.1 <-> 192.0.2.2) pass
# real traffic through the soft ESP datapath. Each runs nicsec-softdp with the mirror image of
# one static SA pair (random AES-256-GCM keys): plaintext on its TUN device (inner 10.1.0.1 and
# 10.2.0.1, routes via the TUN), ESP on the veth. For plain ESP (protocol 50) and for
# ESP-in-UDP (RFC 3948, port 4500):
#   - 20 pings across with 0% loss, captured on the veth; tshark, an independent RFC 4303
#     implementation, must decrypt every captured packet with the static keys and find the
#     ICMP inside with a good ICV;
#   - a 100 MB TCP transfer with matching SHA-256 on both ends;
#   - both datapaths report no ICV failures, no replay drops and no decap errors.
# Then pings over an IPv6 outer network (2001:db8::1 <-> ::2) in both encapsulations, for the
# IPv6 raw-socket and UDP paths.
#   usage: soft_datapath.sh [build-dir]   (root; exit 77 = skipped)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/require.sh
source "$here/../lib/require.sh"
build=${NICSEC_BUILD_DIR:-${1:-build}}
softdp=$build/offload/nicsec-softdp

require_netns
require_command ip ping python3 tshark dumpcap
[ -x "$softdp" ] || skip "nicsec-softdp is not built in $build"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

MEGABYTES=${NICSEC_E2E_MEGABYTES:-100}
PINGS=20
SPI_AB=0x00001001 SPI_BA=0x00002002
ns_a=nsec-soft-a-$$ ns_b=nsec-soft-b-$$
rig=$(mktemp -d /tmp/nicsec-e2e-soft.XXXXXX)
pids=()

cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$ns_a" 2>/dev/null || true
  ip netns del "$ns_b" 2>/dev/null || true
  if [ $rc -ne 0 ]; then
    echo "--- logs (kept in $rig) ---"
    tail -n 20 "$rig"/*.log 2>/dev/null || true
  else
    rm -rf "$rig"
  fi
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Background jobs run `ip netns exec` directly (not through a function, whose subshell would
# ignore SIGINT): it execs the command, so $! is the command's own pid and signals reach it.
in_a() { ip netns exec "$ns_a" "$@"; }

# ---- the two hosts -----------------------------------------------------------------------------

# Outer link and the TUN device with its inner address and route. The TUN device is created
# persistent and configured first; nicsec-softdp then attaches to it.
setup_hosts() {
  ip netns add "$ns_a"
  ip netns add "$ns_b"
  ip link add veth-a netns "$ns_a" type veth peer name veth-b netns "$ns_b"
  local ns side inner peer_net
  for side in a b; do
    if [ $side = a ]; then ns=$ns_a inner=10.1.0.1 peer_net=10.2.0.0/16; else
      ns=$ns_b inner=10.2.0.1 peer_net=10.1.0.0/16; fi
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "192.0.2.$([ $side = a ] && echo 1 || echo 2)/24" dev "veth-$side"
    ip -n "$ns" addr add "2001:db8::$([ $side = a ] && echo 1 || echo 2)/64" dev "veth-$side" nodad
    ip -n "$ns" link set "veth-$side" up
    ip -n "$ns" tuntap add dev nsec0 mode tun
    # 1400 leaves room for outer IPv6 + UDP + ESP + ICV inside the veth's 1500.
    ip -n "$ns" link set nsec0 mtu 1400 up
    ip -n "$ns" addr add "$inner/32" dev nsec0
    ip -n "$ns" route add "$peer_net" dev nsec0 src "$inner"
  done
}

hex_random() { python3 -c "import os, sys; print(os.urandom(int(sys.argv[1])).hex())" "$1"; }

KEY_AB=$(hex_random 36) # AES-256 key | salt, A -> B
KEY_BA=$(hex_random 36)

# Key files keep the keys out of the process list (argv), as an operator would.
write_keys() {
  printf 'spi-out %s\nkey-out %s\nspi-in %s\nkey-in %s\n' "$SPI_AB" "$KEY_AB" "$SPI_BA" "$KEY_BA" \
    >"$rig/a.keys"
  printf 'spi-out %s\nkey-out %s\nspi-in %s\nkey-in %s\n' "$SPI_BA" "$KEY_BA" "$SPI_AB" "$KEY_AB" \
    >"$rig/b.keys"
  chmod 600 "$rig/a.keys" "$rig/b.keys"
}

wait_for_line() { # file pattern seconds
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

wait_for_file() { # file seconds
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    [ -e "$1" ] && return 0
    sleep 0.05
  done
  return 1
}

# start_datapaths <esp|udp> <outer-a> <outer-b>
start_datapaths() {
  local encap=$1 outer_a=$2 outer_b=$3
  ip netns exec "$ns_a" "$softdp" --tun nsec0 --local "$outer_a" --remote "$outer_b" --local-net 10.1.0.0/16 \
    --remote-net 10.2.0.0/16 --keys "$rig/a.keys" --encap "$encap" >"$rig/softdp-a.log" 2>&1 &
  pid_a=$!
  ip netns exec "$ns_b" "$softdp" --tun nsec0 --local "$outer_b" --remote "$outer_a" --local-net 10.2.0.0/16 \
    --remote-net 10.1.0.0/16 --keys "$rig/b.keys" --encap "$encap" >"$rig/softdp-b.log" 2>&1 &
  pid_b=$!
  pids+=("$pid_a" "$pid_b")
  wait_for_line "$rig/softdp-a.log" "ready" 5 || fail "nicsec-softdp in A did not start"
  wait_for_line "$rig/softdp-b.log" "ready" 5 || fail "nicsec-softdp in B did not start"
}

# Stops both datapaths (their stats line is printed on SIGTERM) and checks the counters.
stop_datapaths() {
  kill -TERM "$pid_a" "$pid_b"
  wait "$pid_a" || fail "nicsec-softdp in A exited with an error"
  wait "$pid_b" || fail "nicsec-softdp in B exited with an error"
  local side stats
  for side in a b; do
    stats=$(grep 'nicsec-softdp: stats' "$rig/softdp-$side.log") || fail "no stats from $side"
    echo "    $side: ${stats#nicsec-softdp: stats }"
    for zero in sa_in_auth_failures=0 sa_in_replay_drops=0 decap_errors=0 encap_errors=0; do
      grep -q " $zero " <<<"$stats " || fail "$side: expected $zero"
    done
  done
}

# ---- checks --------------------------------------------------------------------------------------

check_ping() {
  local out
  out=$(in_a ping -c "$PINGS" -i 0.02 -W 2 -I 10.1.0.1 10.2.0.1) || true
  grep -q " 0% packet loss" <<<"$out" || fail "ping across the tunnel lost packets: $(tail -n2 <<<"$out")"
  echo "    ping: $(grep -o '[0-9]* packets transmitted, [0-9]* received, 0% packet loss' <<<"$out")"
}

# The uat:esp_sa rows (tshark 4.0 format) for both directions of the static SA pair.
esp_sa_rows() {
  local family=$1 a=$2 b=$3
  printf '%s\n' \
    "uat:esp_sa:\"$family\",\"$a\",\"$b\",\"$SPI_AB\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$KEY_AB\",\"NULL\",\"\"" \
    "uat:esp_sa:\"$family\",\"$b\",\"$a\",\"$SPI_BA\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$KEY_BA\",\"NULL\",\"\""
}

# Decrypts the capture with tshark: every ESP packet must decrypt to ICMP echo between the inner
# addresses, with the ICV verified.
check_capture() {
  local pcap=$1 family=$2 a=$3 b=$4 prefs=() row
  while IFS= read -r row; do prefs+=(-o "$row"); done < <(esp_sa_rows "$family" "$a" "$b")
  local decoded esp_count echo_count good_icv
  # One line per ESP packet: SPI;IPv4 sources;IPv4 destinations;ICMP type;ICV good
  decoded=$(tshark -r "$pcap" -o esp.enable_encryption_decode:TRUE \
    -o esp.enable_authentication_check:TRUE "${prefs[@]}" -Y esp \
    -T fields -E separator=';' -e esp.spi -e ip.src -e ip.dst -e icmp.type -e esp.icv_good \
    2>"$rig/tshark.log") || fail "tshark failed: $(cat "$rig/tshark.log")"
  esp_count=$(grep -c . <<<"$decoded" || true)
  # ip.src/ip.dst list the outer IPv4 header first when there is one; the inner one is last.
  echo_count=$(grep -cE ';([^;]*,)?10\.1\.0\.1;([^;]*,)?10\.2\.0\.1;8;|;([^;]*,)?10\.2\.0\.1;([^;]*,)?10\.1\.0\.1;0;' \
    <<<"$decoded" || true)
  good_icv=$(grep -cE ';(1|True)$' <<<"$decoded" || true)
  [ "$esp_count" -ge $((2 * PINGS)) ] || fail "captured $esp_count ESP packets, expected >= $((2 * PINGS))"
  [ "$echo_count" -eq "$esp_count" ] || {
    head -n 5 <<<"$decoded" >&2
    fail "tshark decrypted $echo_count of $esp_count ESP packets to the pings"
  }
  [ "$good_icv" -eq "$esp_count" ] || fail "tshark verified the ICV of $good_icv of $esp_count packets"
  echo "    tshark: $esp_count ESP packets decrypted to ICMP echo, all ICVs good"
}

# ping_captured <tag> <family> <outer-a> <outer-b>
ping_captured() {
  local pcap=$rig/$1.pcapng
  ip netns exec "$ns_a" dumpcap -q -i veth-a -w "$pcap" >"$rig/dumpcap-$1.log" 2>&1 &
  local dumpcap_pid=$!
  pids+=("$dumpcap_pid")
  wait_for_line "$rig/dumpcap-$1.log" "Capturing on" 5 || fail "dumpcap did not start"
  sleep 0.5 # dumpcap announces itself a moment before its socket sees packets
  check_ping
  sleep 1 # the capture ring hands over its last block only after its timeout
  kill -INT "$dumpcap_pid"
  wait "$dumpcap_pid" || true
  check_capture "$pcap" "$2" "$3" "$4"
}

check_transfer() {
  local ready=$rig/xfer.ready
  rm -f "$ready"
  ip netns exec "$ns_b" python3 "$here/soft_xfer.py" recv 10.2.0.1 5001 "$ready" >"$rig/recv.log" 2>&1 &
  local recv_pid=$!
  pids+=("$recv_pid")
  wait_for_file "$ready" 5 || fail "receiver did not start"
  local start=$SECONDS sent received
  sent=$(in_a python3 "$here/soft_xfer.py" send 10.2.0.1 5001 "$MEGABYTES") || fail "sender failed"
  wait "$recv_pid" || fail "receiver failed: $(cat "$rig/recv.log")"
  received=$(cat "$rig/recv.log")
  [ "$sent" = "$received" ] || fail "transfer mismatch: sent '$sent', received '$received'"
  echo "    transfer: $MEGABYTES MB in $((SECONDS - start)) s, sha256 ${sent#* } on both ends"
}

# ---- run ---------------------------------------------------------------------------------------

setup_hosts
write_keys
for encap in esp udp; do
  echo "== IPv4 outer, encap $encap"
  start_datapaths "$encap" 192.0.2.1 192.0.2.2
  ping_captured "v4-$encap" IPv4 192.0.2.1 192.0.2.2
  check_transfer
  stop_datapaths
done
for encap in esp udp; do
  echo "== IPv6 outer, encap $encap"
  start_datapaths "$encap" 2001:db8::1 2001:db8::2
  ping_captured "v6-$encap" IPv6 2001:db8::1 2001:db8::2
  stop_datapaths
done
echo "PASS: soft datapath e2e"
