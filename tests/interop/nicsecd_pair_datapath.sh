#!/usr/bin/env bash
# Two nicsecd carry traffic for each other (label e2e): each runs the soft backend with a TUN
# device (nsec0, inner 198.51.100.1 / 203.0.113.1, a route to the other's inner address via it)
# and drives its datapath from its event loop. Once with bare ESP (raw IP sockets, protocol 50)
# and once with forced UDP encapsulation (ESP-in-UDP on the daemons' shared IKE/NAT-T socket):
#   - side 0 initiates; 20 pings across with 0% loss;
#   - a TCP transfer side 0 -> side 1 (NICSEC_E2E_MEGABYTES, default 100 MB), SHA-256 equal;
#   - both datapaths counted the ESP in that encapsulation and no decap/encap errors.
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/lib/require.sh"
require_netns
require_command python3 ip ping
BUILD=${NICSEC_BUILD_DIR:?}
NICSECD=$BUILD/host/daemon/nicsecd
NICSECCTL=$BUILD/tools/nicsecctl
XFER=$NICSEC_SOURCE_DIR/tests/e2e/soft_xfer.py
[ -x "$NICSECD" ] && [ -x "$NICSECCTL" ] || skip "nicsecd/nicsecctl not built in $BUILD"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
MEGABYTES=${NICSEC_E2E_MEGABYTES:-100}
PINGS=20

source "$NICSEC_SOURCE_DIR/tests/lib/pair.sh"
pair_init nicsec-pair-dp nicsec-d

# The TUN device is created persistent and configured before nicsecd attaches to it; 1400
# leaves room for outer IP + UDP + ESP inside the veth's 1500.
pair_make_netns
for i in 0 1; do
  ns=${NS[$i]}
  ip -n "$ns" tuntap add dev nsec0 mode tun
  ip -n "$ns" link set nsec0 mtu 1400 up
  ip -n "$ns" addr add "${NET[$i]}/32" dev nsec0
  ip -n "$ns" route add "${NET[$((1 - i))]}/32" dev nsec0 src "${NET[$i]}"
done

# write_config <side> <extra connection lines>
write_config() {
  local i=$1 extra=${2:-} peer=$((1 - $1))
  cat >"$RIG/side$i/nicsecd.yaml" <<EOF
daemon:
  retransmit_timeout_ms: 500
hal:
  backend: soft
  args: "tun=nsec0"
connections:
  - name: peer
    local_addr: ${ADDR[$i]}
    remote_addr: ${ADDR[$peer]}
    proposals: [aes256gcm16-prfsha256-x25519]
    local: { id: side$i@example.test }
    remote: { id: side$peer@example.test }
$extra
    children:
      - name: net
        local_ts: [${NET[$i]}/32]
        remote_ts: [${NET[$peer]}/32]
        esp_proposals: [aes256gcm16]
secrets:
  - ids: [side0@example.test, side1@example.test]
    secret: "pair datapath test key"
EOF
}

ctl() {
  local i=$1
  shift
  "$NICSECCTL" -s "$RIG/side$i/ctl.sock" "$@"
}

# The TUN device is the daemon's until it exits, so each case starts both daemons afresh.
start_daemons() {
  pair_start_daemons -l info
}

# check_counters <side> <esp|udp> <least out> <least in>: side's datapath counters (control
# socket, "metrics"): ESP sent and received at least that many packets, all of it ESP-in-UDP in
# udp mode and none in esp mode; no encap or decap errors.
check_counters() {
  local i=$1 encap=$2 least_out=$3 least_in=$4
  python3 - "$RIG/side$i/ctl.sock" "$encap" "$least_out" "$least_in" "$i" <<'PY'
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
dp = json.loads(buf)["devices"][0]["datapath"]
udp, least = sys.argv[2] == "udp", {"esp_out": int(sys.argv[3]), "esp_in": int(sys.argv[4])}
print("   side%s:" % sys.argv[5], {k: dp[k] for k in ("esp_in", "esp_out", "udp_in", "udp_out",
                                                  "decap_errors", "encap_errors", "io_errors")})
bad = [k for k in ("esp_in", "esp_out") if dp[k] < least[k]]
bad += [k for k in ("udp_in", "udp_out") if (dp[k] != dp["esp" + k[3:]] if udp else dp[k] != 0)]
bad += [k for k in ("decap_errors", "encap_errors") if dp[k] != 0]
sys.exit(f"   unexpected: {bad}" if bad else 0)
PY
}

transfer() {
  local ready=$RIG/xfer.ready recv_pid sent received t0 t1
  rm -f "$ready"
  ip netns exec "${NS[1]}" python3 "$XFER" recv "${NET[1]}" 5001 "$ready" >"$RIG/recv.out" 2>&1 &
  recv_pid=$!
  for _ in $(seq 100); do
    [ -e "$ready" ] && break
    sleep 0.02
  done
  [ -e "$ready" ] || fail "the receiver did not start listening"
  t0=$(date +%s%3N)
  sent=$(ip netns exec "${NS[0]}" python3 "$XFER" send "${NET[1]}" 5001 "$MEGABYTES") ||
    fail "sender failed: $sent"
  wait "$recv_pid" || fail "receiver failed: $(cat "$RIG/recv.out")"
  t1=$(date +%s%3N)
  received=$(cat "$RIG/recv.out")
  [ "$sent" = "$received" ] || fail "sent '$sent' but received '$received'"
  echo "   $MEGABYTES MB in $((t1 - t0)) ms ($((MEGABYTES * 8000 / (t1 - t0 + 1))) Mbit/s)," \
    "sha256 ${sent#* } on both ends"
}

# run_case <title> <esp|udp> [extra connection lines]
run_case() {
  echo "== $1"
  write_config 0 "${3:-}"
  write_config 1 "${3:-}"
  start_daemons
  grep -q "HAL datapath:.*descriptors" "$RIG/side0/nicsecd.log" ||
    fail "nicsecd did not put the soft datapath into its event loop"
  ctl 0 initiate peer --timeout 10 >/dev/null || fail "$1: not established"
  ip netns exec "${NS[0]}" ping -n -q -c "$PINGS" -i 0.05 -W 2 -I "${NET[0]}" "${NET[1]}" \
    >"$RIG/ping.out" 2>&1
  grep "packet loss" "$RIG/ping.out" | sed 's/^/   /'
  grep -q " 0% packet loss" "$RIG/ping.out" || fail "$1: pings were lost"
  transfer
  # Each MB is ~780 full-size segments at MTU 1400 one way; the receiver's ACKs coalesce, so
  # the way back only has to carry the pings' replies and then some.
  check_counters 0 "$2" $((MEGABYTES * 700)) "$PINGS" || fail "$1: side 0 datapath counters"
  check_counters 1 "$2" "$PINGS" $((MEGABYTES * 700)) || fail "$1: side 1 datapath counters"
  pair_stop_daemons
}

run_case "bare ESP (raw IP sockets)" esp
run_case "forced UDP encapsulation (ESP-in-UDP on port 4500)" udp "    encap: true"
echo "PASS"
