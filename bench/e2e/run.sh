#!/usr/bin/env bash
# End-to-end benchmark on simulated NICs (bench/run_all.sh runs it with the build directory;
# root, namespaces and nicsim needed, else skipped). Two hosts as in tests/e2e/nicsecd_sim_pair.sh:
# each a nicsim (Verilated ESP engine, wire recorded to pcap) and a nicsecd with the sim backend.
# seqflow sends 1,000 packets/s from host 0 to host 1 before, during and after the handshake.
#   auth_to_esp_ms   wire time (nicsim's pcap of host 0) from the IKE_AUTH response entering the
#                    NIC to the first ESP packet leaving it: nicsecd's processing, the SA
#                    installs through the BAR, the steering entry, one packet through the engine
#                    (resolution: the 1 ms packet spacing)
#   auth_to_esp_cycles  engine cycles spent in that interval (the clock runs only with work:
#                    BAR accesses and packets), from the BAR's cycle counter sampled against the
#                    same clock as the pcap (upper bound: one sample period, ~0.2 ms)
#   rekey_ms         mean time from nicsecd starting a Child SA rekey to the new SAs installed
#                    (host 0, rekey_time 1 s, traffic running); rekeys_per_s = 1000/rekey_ms is
#                    what one NIC table sustains back to back, achieved_per_s what the run did
# Anchor: the IKE_SA_INIT round trip on the same capture (request out to response in), the cost
# of one IKE exchange through the same NICs; ratio = auth_to_esp_ms / anchor.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
export NICSEC_SOURCE_DIR=$(cd "$(dirname "$0")/../.." && pwd) NICSEC_BUILD_DIR=$build
source "$NICSEC_SOURCE_DIR/tests/lib/require.sh"
source "$NICSEC_SOURCE_DIR/tests/lib/pair.sh"
source "$NICSEC_SOURCE_DIR/tests/lib/simnic.sh"
simnic_requirements
require_command tshark
SEQFLOW=$build/tests/tools/seqflow
[ -x "$SEQFLOW" ] || skip "seqflow not built in $build"
RUN_S=${NICSEC_BENCH_E2E_SECONDS:-15}

pair_init nicsec-bench-e2e nicsec-b
SIMNIC_PCAP=1 simnic_start
simnic_config 0 "" "        rekey_time: 1
        rand_time: 0
        life_time: 30" "  inbound_drain_ms: 500"
simnic_config 1 "" "        rekey_time: 0" "  inbound_drain_ms: 500"
simnic_start_daemons

ip netns exec "${NS[1]}" "$SEQFLOW" recv --bind "${NET[1]}:5001" --timeout $((RUN_S + 20)) \
  --linger-ms 300 >"$RIG/recv.json" 2>/dev/null &
PIDS+=($!)
ip netns exec "${NS[0]}" "$SEQFLOW" send --to "${NET[1]}:5001" --pps 1000 --seconds "$RUN_S" \
  --size 200 >"$RIG/send.json" &
sender=$!
# The BAR's cycle counter (struct nicsim_shm: nine 32-bit words, then the 64-bit counter) against
# the wall clock the pcap uses, every 0.2 ms for 4 s from just before the handshake.
python3 - "/dev/shm/${SHM[0]}" >"$RIG/cycles.txt" <<'PY' &
import mmap, struct, sys, time
with open(sys.argv[1], "r+b") as f:
    bar = mmap.mmap(f.fileno(), 0)
    end = time.time() + 4
    while time.time() < end:
        print(f"{time.time():.6f} {struct.unpack_from('<Q', bar, 40)[0]}", flush=True)
        time.sleep(0.0002)
PY
sampler=$!
for _ in $(seq 100); do
  [ -s "$RIG/cycles.txt" ] && break
  sleep 0.02
done
simctl 0 initiate peer --timeout 10 >/dev/null || fail "the tunnel was not established"
wait "$sampler"
wait "$sender"
sleep 0.5
pair_stop_daemons

tshark -r "$RIG/side0/wire.pcap" -T fields -e frame.time_epoch -e ip.src -e ip.proto \
  -e isakmp.exchangetype -e isakmp.flags 2>/dev/null >"$RIG/wire.txt" || fail "tshark failed"
python3 - "$RIG" "${ADDR[0]}" "$RUN_S" <<'PY'
import re, sys
rig, me, run_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
rows = [l.rstrip("\n").split("\t") for l in open(f"{rig}/wire.txt")]
def first(pred):
    return next(float(r[0]) for r in rows if pred(r))
is_resp = lambda r: r[4] and int(r[4], 16) & 0x20
init_req = first(lambda r: r[3] == "34" and r[1] == me and not is_resp(r))
init_resp = first(lambda r: r[3] == "34" and r[1] != me and is_resp(r))
auth_resp = first(lambda r: r[3] == "35" and r[1] != me and is_resp(r))
esp = first(lambda r: r[2] == "50" and r[1] == me and float(r[0]) >= auth_resp)
samples = [tuple(map(float, l.split())) for l in open(f"{rig}/cycles.txt")]
c_auth = max(c for t, c in samples if t <= auth_resp)
c_esp = min(c for t, c in samples if t >= esp)
log = open(f"{rig}/side0/nicsecd.log").read().splitlines()
started, spans = {}, []
for line in log:
    m = re.match(r"(\d+\.\d+) info  ike#\d+: rekeying child net \(SPI ([0-9a-f]{8})", line)
    if m:
        started[m.group(2)] = float(m.group(1))
    m = re.match(r"(\d+\.\d+) info  child net \(ike#\d+\) INSTALLED: SPIs ([0-9a-f]{8})_i", line)
    if m and m.group(2) in started:
        spans.append(float(m.group(1)) - started.pop(m.group(2)))
auth_ms, rtt_ms = (esp - auth_resp) * 1000, (init_resp - init_req) * 1000
rekey_ms = sum(spans) / len(spans) * 1000
print(f"IKE_SA_INIT round trip {rtt_ms:.2f} ms; IKE_AUTH response -> first ESP out {auth_ms:.2f} ms, "
      f"{int(c_esp - c_auth)} engine cycles; {len(spans)} rekeys, mean {rekey_ms:.1f} ms")
print(f"e2e_sim: auth_to_esp_ms={auth_ms:.2f} auth_to_esp_cycles={int(c_esp - c_auth)} "
      f"rekey_ms={rekey_ms:.1f} rekeys_per_s={1000 / rekey_ms:.1f} "
      f"achieved_per_s={len(spans) / run_s:.2f} anchor={rtt_ms:.2f} ratio={auth_ms / rtt_ms:.2f}")
PY
