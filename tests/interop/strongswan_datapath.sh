#!/usr/bin/env bash
# Interop with traffic: nicsecd's soft backend carries real packets to and from strongSwan 5.9.8
# (kernel-libipsec, ESP-in-UDP on port 4500). nicsecd negotiates the Child SA and installs it
# through the HAL; its event loop drives the device's datapath: plaintext on the TUN device
# nsec0 (inner 203.0.113.1, route to 198.51.100.1 via it), ESP-in-UDP on nicsecd's own NAT-T
# socket, which it shares with IKE.
#   1. nicsecd initiates; both sides agree on the SAs (check_sas.py);
#   2. 20 pings across with 0% loss, captured on the veth (dumpcap, bounded);
#   3. an independent check of our ESP: tshark, with the keys `nicsecctl keys --wireshark`
#      exports, decrypts every captured ESP-in-UDP packet to an ICMP echo request or reply with a
#      good ICV (20 each way); with one key octet flipped, no ICV passes and no ICMP appears;
#   4. a TCP transfer each way (NICSEC_INTEROP_MEGABYTES, default 20 MB), SHA-256 equal on
#      both ends;
#   5. nicsecd's datapath counters: ESP-in-UDP both ways, no decap errors.
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/interop/rig.sh"
MEGABYTES=${NICSEC_INTEROP_MEGABYTES:-20}
PINGS=20

rig_requirements
require_command ping dumpcap tshark
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
rig_start

rig_right_tun

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
# Only ESP-in-UDP (a non-zero SPI where IKE has its zero marker; keepalives are too short):
# dumpcap stops by itself after one packet per ping each way, or after 10 s whatever happens.
ip netns exec "$RIGHT_NS" dumpcap -i veth-r -f "udp port 4500 and udp[8:4] != 0" \
  -c $((PINGS * 2)) -a duration:10 -w "$RIG/ping.pcapng" 2>"$RIG/dumpcap.err" &
DUMPCAP_PID=$!
# dumpcap names its output file only once the capture is open.
for _ in $(seq 100); do
  grep -q "^File:" "$RIG/dumpcap.err" && break
  sleep 0.02
done
grep -q "^File:" "$RIG/dumpcap.err" || rig_fail "dumpcap did not start: $(cat "$RIG/dumpcap.err")"
ip netns exec "$RIGHT_NS" ping -n -q -c "$PINGS" -i 0.05 -W 2 -I 203.0.113.1 198.51.100.1 \
  >"$RIG/ping.out" 2>&1
cat "$RIG/ping.out"
grep -q " 0% packet loss" "$RIG/ping.out" || rig_fail "pings were lost"
# The last packets reach dumpcap up to its buffer timeout after ping returns; a shortfall
# shows up in the counts below.
for _ in $(seq 150); do
  kill -0 "$DUMPCAP_PID" 2>/dev/null || break
  sleep 0.02
done
kill "$DUMPCAP_PID" 2>/dev/null
wait "$DUMPCAP_PID"

echo "== 3. tshark decrypts the captured ESP with the keys nicsecctl exports"
ctl keys --wireshark >"$RIG/ws.txt" 2>"$RIG/ws.err" || rig_fail "nicsecctl keys --wireshark failed"
grep '^"IPv4"' "$RIG/ws.txt" >"$RIG/esp_sa.txt"
[ "$(wc -l <"$RIG/esp_sa.txt")" = 2 ] || rig_fail "expected 2 esp_sa lines: $(cat "$RIG/ws.txt")"
# The same lines with the low bit of the first key octet flipped: field 6 is "0x<key||salt>".
python3 - "$RIG/esp_sa.txt" >"$RIG/esp_sa_wrong.txt" <<'PY'
import sys
for line in open(sys.argv[1]):
    fields = line.rstrip("\n").split('","')
    key = fields[5]
    fields[5] = key[:2] + format(int(key[2:4], 16) ^ 1, "02x") + key[4:]
    print('","'.join(fields))
PY

# esp_decrypt <esp_sa lines> <out>: one line per ESP frame (SPI, ICV good, ICV bad, inner ICMP
# type, inner source, inner destination); the last occurrence of ip.* is the inner header.
esp_decrypt() {
  local uat=() line
  while IFS= read -r line; do
    uat+=(-o "uat:esp_sa:$line")
  done <"$1"
  tshark -r "$RIG/ping.pcapng" -o esp.enable_encryption_decode:TRUE \
    -o esp.enable_authentication_check:TRUE "${uat[@]}" -Y esp -T fields -E occurrence=l \
    -e esp.spi -e esp.icv_good -e esp.icv_bad -e icmp.type -e ip.src -e ip.dst \
    >"$2" 2>"$2.err" || rig_fail "tshark failed: $(cat "$2.err")"
}
esp_decrypt "$RIG/esp_sa.txt" "$RIG/esp_right.txt"
esp_decrypt "$RIG/esp_sa_wrong.txt" "$RIG/esp_wrong.txt"
python3 - "$PINGS" "$RIG/esp_right.txt" "$RIG/esp_wrong.txt" <<'PY' || rig_fail "tshark's view of our ESP is wrong"
import sys
pings = int(sys.argv[1])
def frames(path):
    return [line.rstrip("\n").split("\t") for line in open(path) if line.strip()]
def true(v):
    return v in ("1", "True")
right, wrong = frames(sys.argv[2]), frames(sys.argv[3])
inner = {"8": ("203.0.113.1", "198.51.100.1"), "0": ("198.51.100.1", "203.0.113.1")}
count = {"8": 0, "0": 0}
bad = []
for spi, good, icv_bad, icmp, src, dst in right:
    if true(good) and not true(icv_bad) and inner.get(icmp) == (src, dst):
        count[icmp] += 1
    else:
        bad.append((spi, good, icv_bad, icmp, src, dst))
spis = sorted({f[0] for f in right})
print(f"   {len(right)} ESP frames, SPIs {' '.join(spis)}: {count['8']} echo requests and "
      f"{count['0']} echo replies decrypted, ICV good; with a wrong key: "
      f"{sum(true(f[1]) for f in wrong)} ICV good, {sum(f[3] != '' for f in wrong)} ICMP")
ok = not bad and count == {"8": pings, "0": pings} and len(spis) == 2
# The control: with a flipped key octet no ICV may pass and nothing may decode as ICMP, or the
# check above proves nothing. (tshark marks most such frames "ICV bad", but not those whose
# garbage next-header byte sends it into another dissector that throws first.)
ok = ok and len(wrong) == len(right) and not any(true(f[1]) or f[3] for f in wrong)
sys.exit(0 if ok else f"    unexpected frames: {bad[:4]}")
PY

echo "== 4. TCP transfers"
echo "   nicsecd -> strongSwan"
ns_transfer "$RIGHT_NS" "$LEFT_NS" 198.51.100.1 5001 "$MEGABYTES"
echo "   strongSwan -> nicsecd"
ns_transfer "$LEFT_NS" "$RIGHT_NS" 203.0.113.1 5002 "$MEGABYTES"

echo "== 5. nicsecd datapath counters"
python3 "$NICSEC_SOURCE_DIR/tests/lib/ctl_request.py" "$RIG/right/ctl.sock" metrics \
  >"$RIG/metrics.json" || rig_fail "the metrics request failed"
python3 - "$RIG/metrics.json" "$((PINGS + MEGABYTES * 700))" <<'PY' || rig_fail "datapath counters are wrong"
import json, sys
reply = json.load(open(sys.argv[1]))
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
