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
source "$NICSEC_SOURCE_DIR/tests/lib/pair.sh"
source "$NICSEC_SOURCE_DIR/tests/lib/xfer.sh"
pair_require python3 ip ping
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
MEGABYTES=${NICSEC_E2E_MEGABYTES:-100}
PINGS=20

pair_init nicsec-pair-dp nicsec-d
pair_make_netns
pair_add_tun

# check_counters <side> <esp|udp> <least out> <least in>: side's datapath counters (control
# socket, "metrics"): ESP sent and received at least that many packets, all of it ESP-in-UDP in
# udp mode and none in esp mode; no encap or decap errors.
check_counters() {
  local i=$1 encap=$2 least_out=$3 least_in=$4
  python3 "$NICSEC_SOURCE_DIR/tests/lib/ctl_request.py" "$RIG/side$i/ctl.sock" metrics \
    >"$RIG/metrics$i.json" || return 1
  python3 - "$RIG/metrics$i.json" "$encap" "$least_out" "$least_in" "$i" <<'PY'
import json, sys
dp = json.load(open(sys.argv[1]))["devices"][0]["datapath"]
udp, least = sys.argv[2] == "udp", {"esp_out": int(sys.argv[3]), "esp_in": int(sys.argv[4])}
print("   side%s:" % sys.argv[5], {k: dp[k] for k in ("esp_in", "esp_out", "udp_in", "udp_out",
                                                  "decap_errors", "encap_errors", "io_errors")})
bad = [k for k in ("esp_in", "esp_out") if dp[k] < least[k]]
bad += [k for k in ("udp_in", "udp_out") if (dp[k] != dp["esp" + k[3:]] if udp else dp[k] != 0)]
bad += [k for k in ("decap_errors", "encap_errors") if dp[k] != 0]
sys.exit(f"   unexpected: {bad}" if bad else 0)
PY
}

# run_case <title> <esp|udp> [extra connection lines]
run_case() {
  echo "== $1"
  pair_config 0 soft "tun=nsec0" "${3:-}"
  pair_config 1 soft "tun=nsec0" "${3:-}"
  # The TUN device is the daemon's until it exits, so each case starts both daemons afresh.
  pair_start_daemons -l info
  grep -q "HAL datapath:.*descriptors" "$RIG/side0/nicsecd.log" ||
    fail "nicsecd did not put the soft datapath into its event loop"
  pair_ctl 0 initiate peer --timeout 10 >/dev/null || fail "$1: not established"
  ip netns exec "${NS[0]}" ping -n -q -c "$PINGS" -i 0.05 -W 2 -I "${NET[0]}" "${NET[1]}" \
    >"$RIG/ping.out" 2>&1
  grep "packet loss" "$RIG/ping.out" | sed 's/^/   /'
  grep -q " 0% packet loss" "$RIG/ping.out" || fail "$1: pings were lost"
  ns_transfer "${NS[0]}" "${NS[1]}" "${NET[1]}" 5001 "$MEGABYTES"
  # Each MB is ~780 full-size segments at MTU 1400 one way; the receiver's ACKs coalesce, so
  # the way back only has to carry the pings' replies and then some.
  check_counters 0 "$2" $((MEGABYTES * 700)) "$PINGS" || fail "$1: side 0 datapath counters"
  check_counters 1 "$2" "$PINGS" $((MEGABYTES * 700)) || fail "$1: side 1 datapath counters"
  pair_stop_daemons
}

run_case "bare ESP (raw IP sockets)" esp
run_case "forced UDP encapsulation (ESP-in-UDP on port 4500)" udp "    encap: true"
echo "PASS"
