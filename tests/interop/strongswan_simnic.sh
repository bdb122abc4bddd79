#!/usr/bin/env bash
# Interop through the simulated NIC (label interop): nicsecd with the `sim` backend attached to a
# nicsim (the Verilated ESP engine as an L2 NIC: TAP nsim0 carries 192.0.2.2, the veth is its
# wire) against strongSwan 5.9.8 with kernel-libipsec (ESP-in-UDP, port 4500). nicsecd only
# negotiates and installs SAs; the NIC encrypts and decrypts every packet.
#   A. nicsecd initiates: both sides agree on the SAs (check_sas.py); 20 pings; tshark decrypts
#      the captured wire ESP-in-UDP with the keys `nicsecctl keys --wireshark` exports; a TCP
#      transfer each way (NICSEC_INTEROP_MEGABYTES, default 50 MB, SHA-256 equal; the Verilated
#      NIC carries 6-8 Mbit/s, so about a minute a direction) during which
#      strongSwan rekeys the Child SA (swanctl --rekey), then nicsecd does (nicsecctl rekey;
#      its rekey_time of 10 s may add more);
#      pings again on the last SAs.
#   B. strongSwan initiates (after terminate): same agreement, pings, wire decryption, transfer
#      (NICSEC_INTEROP_MEGABYTES_B, default 5 MB each way).
#   Every case: the NIC holds exactly the current two SAs at the end, and no auth failure or
#   replay drop was counted on it (freed SAs included).
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/interop/rig.sh"
NICSIM=$BUILD/sim/nicsim
MEGABYTES=${NICSEC_INTEROP_MEGABYTES:-50}
MEGABYTES_B=${NICSEC_INTEROP_MEGABYTES_B:-5}
PINGS=20

rig_requirements
require_command ping dumpcap tshark
[ -x "$NICSIM" ] || skip "nicsim not built in $BUILD (NICSEC_RTL_SIM=OFF?)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
rig_start
SHM=nicsec-$$-interop
NICSIM_PID=""
# nicsecd frees its SAs in the NIC when it stops: the NIC goes after it, then the rig.
simnic_rig_cleanup() {
  local status=$?
  [ -n "$NICSECD_PID" ] && kill "$NICSECD_PID" 2>/dev/null && wait "$NICSECD_PID" 2>/dev/null
  NICSECD_PID=""
  [ -n "$NICSIM_PID" ] && kill "$NICSIM_PID" 2>/dev/null && wait "$NICSIM_PID" 2>/dev/null
  [ "$status" -ne 0 ] && [ -n "$RIG" ] && cat "$RIG/right/nicsim.log" 2>/dev/null
  (exit "$status")
  rig_cleanup
}
trap simnic_rig_cleanup EXIT

# The NIC on the right: its TAP takes the outer address from the veth, which becomes its wire.
ip netns exec "$RIGHT_NS" "$NICSIM" --shm "$SHM" --tap nsim0 --wire-dev veth-r \
  2>"$RIG/right/nicsim.log" &
NICSIM_PID=$!
for _ in $(seq 100); do
  [ -e "/dev/shm/$SHM" ] && break
  sleep 0.05
done
[ -e "/dev/shm/$SHM" ] || rig_fail "nicsim did not start: $(cat "$RIG/right/nicsim.log")"
ip -n "$RIGHT_NS" addr del 192.0.2.2/24 dev veth-r
ip -n "$RIGHT_NS" link set veth-r arp off
ip netns exec "$RIGHT_NS" sysctl -qw net.ipv6.conf.veth-r.disable_ipv6=1
ip -n "$RIGHT_NS" link set nsim0 mtu 1400 up
ip -n "$RIGHT_NS" addr add 192.0.2.2/24 dev nsim0
ip -n "$RIGHT_NS" route add 198.51.100.1/32 via 192.0.2.1 dev nsim0 src 203.0.113.1

rig_swanctl_conf "" "rekey_time = 0"
NICSEC_HAL_BACKEND=sim NICSEC_HAL_ARGS="attach=$SHM" rig_nicsecd_conf "" "  inbound_drain_ms: 1000"
# nicsecd rekeys its Child SA every 10 s (no jitter), during the transfers.
sed -i 's/^        esp_proposals: \(.*\)$/        esp_proposals: \1\n        rekey_time: 10\n        rand_time: 0\n        life_time: 600/' \
  "$RIG/right/nicsecd.yaml"
rig_start_charon
rig_start_nicsecd

child_spis() { # "<spi_in>/<spi_out>" of nicsecd's installed Child SA(s)
  ctl list-sas --json | python3 -c '
import json, sys
print(" ".join(c["spi_in"] + "/" + c["spi_out"] for s in json.load(sys.stdin)["ike_sas"]
               for c in s["children"] if c["state"] == "INSTALLED"))'
}

# settle <role>: until nicsecd and strongSwan agree on one IKE SA and one Child SA (5 s).
settle() {
  for _ in $(seq 50); do
    [[ "$(child_spis)" != *" "* ]] && rig_check "$1" >/dev/null 2>&1 && break
    sleep 0.1
  done
  rig_check "$1"
}

pings() { # <count>: across the tunnel from the right, 0% loss
  ip netns exec "$RIGHT_NS" ping -n -q -c "$1" -i 0.05 -W 2 -I 203.0.113.1 198.51.100.1 \
    >"$RIG/ping.out" 2>&1
  grep "packet loss" "$RIG/ping.out" | sed 's/^/   /'
  grep -q " 0% packet loss" "$RIG/ping.out"
}

# wire_decrypt <tag>: captures the wire (ESP-in-UDP only) during $PINGS pings, then tshark must
# decrypt every frame to an ICMP echo with a good ICV using nicsecctl's keys, and a key with one
# flipped bit must pass the ICV check on none.
wire_decrypt() {
  local pcap=$RIG/wire-$1.pcapng
  ip netns exec "$RIGHT_NS" dumpcap -i veth-r -f "udp port 4500 and udp[8:4] != 0" \
    -c $((PINGS * 2)) -a duration:10 -w "$pcap" 2>"$RIG/dumpcap.err" &
  local dumpcap_pid=$!
  for _ in $(seq 100); do
    grep -q "^File:" "$RIG/dumpcap.err" && break
    sleep 0.02
  done
  pings "$PINGS" || rig_fail "pings were lost"
  for _ in $(seq 150); do
    kill -0 "$dumpcap_pid" 2>/dev/null || break
    sleep 0.02
  done
  kill "$dumpcap_pid" 2>/dev/null
  wait "$dumpcap_pid"
  ctl keys --wireshark 2>/dev/null | grep '^"IPv4"' >"$RIG/esp_sa-$1.txt" ||
    rig_fail "nicsecctl keys --wireshark exported no ESP SA"
  python3 - "$pcap" "$RIG/esp_sa-$1.txt" "$PINGS" <<'PY' || rig_fail "tshark's view of the NIC's ESP is wrong"
import subprocess, sys
pcap, keyfile, pings = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = [l.strip() for l in open(keyfile) if l.strip()]

def decode(uat_lines):
    args = ["tshark", "-r", pcap, "-o", "esp.enable_encryption_decode:TRUE",
            "-o", "esp.enable_authentication_check:TRUE"]
    for l in uat_lines:
        args += ["-o", "uat:esp_sa:" + l]
    args += ["-Y", "esp", "-T", "fields", "-E", "occurrence=l", "-e", "esp.spi",
             "-e", "esp.icv_good", "-e", "icmp.type"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [r.split("\t") for r in out.splitlines() if r.strip()]

def flip(line):  # field 6 is "0x<key||salt>": flip the low bit of the first key octet
    f = line.split('","')
    f[5] = f[5][:2] + format(int(f[5][2:4], 16) ^ 1, "02x") + f[5][4:]
    return '","'.join(f)

good = lambda v: v in ("1", "True")
right, wrong = decode(lines), decode([flip(l) for l in lines])
echo = {t: sum(1 for spi, icv, icmp in right if good(icv) and icmp == t) for t in ("8", "0")}
print(f"   wire: {len(right)} ESP-in-UDP frames, SPIs {' '.join(sorted({r[0] for r in right}))}: "
      f"{echo['8']} echo requests, {echo['0']} echo replies decrypted with a good ICV; "
      f"flipped key: {sum(good(r[1]) for r in wrong)} good ICVs")
ok = echo == {"8": pings, "0": pings} and len(right) == 2 * pings
# The wrong key must fail every ICV. What tshark then dissects is random plaintext: a trailer
# whose next-header octet happens to be 1 reads as ICMP (about 1 frame in 256), so the dissected
# fields prove nothing either way.
sys.exit(0 if ok and not any(good(r[1]) for r in wrong) else 1)
PY
}

# nic_clean: the NIC holds exactly nicsecd's current Child SA, and counted no replay drop or
# auth failure (nicsecd keeps the counters of the SAs it freed).
nic_clean() {
  local spis
  for _ in $(seq 50); do
    ctl --json sa list >"$RIG/sa-list.json"
    ctl --json stats >"$RIG/stats.json"
    spis=$(child_spis)
    python3 - "$RIG/sa-list.json" "$RIG/stats.json" "$spis" "${1:-}" <<'PY' && return 0
import json, sys
nic = [s["device"] for s in json.load(open(sys.argv[1]))["sas"] if s["device"] is not None]
st = json.load(open(sys.argv[2]))
spi_in, _, spi_out = sys.argv[3].partition("/")
replay = st["retired_replay_drops"] + sum(d["drops"]["replay"] for d in nic)
auth = st["retired_auth_failures"] + sum(d["drops"]["auth"] for d in nic)
same = {(d["dir"], d["spi"]) for d in nic} == {("in", spi_in), ("out", spi_out)}
if sys.argv[4] == "print" or (same and replay == auth == 0):
    print("   NIC:", ", ".join(f"{d['dir']} {d['spi']} {d['packets']} pkts" for d in nic),
          f"| {st['retired_sas']} SAs freed, replay drops {replay}, auth failures {auth}")
sys.exit(0 if same and replay == auth == 0 else 1)
PY
    sleep 0.1
  done
  nic_clean print
  return 1
}

echo "== A. nicsecd initiates"
ctl initiate peer --timeout 10 >/dev/null || rig_fail "nicsecd could not establish the SAs"
settle initiator || rig_fail "strongSwan and nicsecd disagree"
wire_decrypt a
first=$(child_spis)
echo "   nicsecd -> strongSwan; strongSwan rekeys the Child SA meanwhile (swanctl --rekey)"
( sleep 3; swan --rekey --child net >/dev/null ) &
swan_rekey=$!
ns_transfer "$RIGHT_NS" "$LEFT_NS" 198.51.100.1 5001 "$MEGABYTES"
wait "$swan_rekey" || rig_fail "swanctl --rekey --child failed"
echo "   strongSwan -> nicsecd; nicsecd rekeys the Child SA meanwhile (nicsecctl rekey)"
( sleep 3; ctl rekey --child net >/dev/null ) &
own_rekey=$!
ns_transfer "$LEFT_NS" "$RIGHT_NS" 203.0.113.1 5002 "$MEGABYTES"
wait "$own_rekey" || rig_fail "nicsecctl rekey --child failed"
# Child SAs nicsecd installed after the first: its own rekeys and strongSwan's.
installed=$(($(grep -c "child net (ike#[0-9]*) INSTALLED" "$RIG/right/nicsecd.log") - 1))
own=$(grep -c "rekeying child net" "$RIG/right/nicsecd.log")
echo "   Child SA $first -> $(child_spis): $own rekeys started by nicsecd," \
  "$((installed - own)) by strongSwan"
[ "$own" -ge 1 ] && [ $((installed - own)) -ge 1 ] ||
  rig_fail "expected Child SA rekeys started by each side during the transfers"
pings "$PINGS" || rig_fail "pings lost after the rekeys"
nic_clean || rig_fail "the NIC does not hold exactly the current SAs, or counted drops"

echo "== B. strongSwan initiates"
ctl terminate peer --timeout 10 >/dev/null || rig_fail "terminate failed"
swan --initiate --child net --timeout 10 >/dev/null || rig_fail "strongSwan could not initiate"
settle responder || rig_fail "strongSwan and nicsecd disagree"
wire_decrypt b
ns_transfer "$LEFT_NS" "$RIGHT_NS" 203.0.113.1 5003 "$MEGABYTES_B"
ns_transfer "$RIGHT_NS" "$LEFT_NS" 198.51.100.1 5004 "$MEGABYTES_B"
nic_clean || rig_fail "the NIC does not hold exactly the current SAs, or counted drops"
echo "PASS"
