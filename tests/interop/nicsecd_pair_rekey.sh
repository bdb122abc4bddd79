#!/usr/bin/env bash
# Two nicsecd (soft backend, TUN datapath, bare ESP) in two namespaces rekey their Child SA about
# once a second for NICSEC_REKEY_SECONDS (default 60) under constant traffic (label e2e):
#   - ping every 20 ms side 0 -> side 1, seqflow 1,000 pps each way (sequence-numbered UDP);
#   - mode "initiator" (default): only side 0 rekeys (rekey_time 1 s, no jitter);
#     mode "both": both sides rekey (rekey_time 2 s, rand_time 1 s), so rekeys collide at times
#     and the lowest-nonce rule has to resolve them under traffic;
#   - pass = 0 pings lost, 0 seqflow datagrams lost either way, at least 0.8 rekeys a second
#     while seqflow runs (0.6 in mode "both", whose mean interval is ~1.3 s),
#     both daemons list one IKE SA with equal SPIs and one INSTALLED Child SA with crossed SPIs,
#     `nicsecctl audit` finds no difference between daemon and device, and after `terminate`
#     neither HAL device holds an SA.
#   - second argument "optimized": both daemons enable optimized rekeys and child-pfs-info
#     (draft-ietf-ipsecme-ikev2-sa-ts-payloads-opt); then every rekey must be optimized (the
#     daemon log counts them) and the last Child SA is listed with "rekey": "optimized".
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/lib/require.sh"
source "$NICSEC_SOURCE_DIR/tests/lib/pair.sh"
pair_require python3 ip ping
SEQFLOW=$BUILD/tests/tools/seqflow
[ -x "$SEQFLOW" ] || skip "seqflow not built in $BUILD"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
MODE=${1:-initiator}
VARIANT=${2:-regular}
case "$VARIANT" in
  regular) CONN_EXTRA="" ;;
  optimized) CONN_EXTRA="optimized_rekey: true
    child_pfs_info: true" ;;
  *) fail "unknown variant $VARIANT (regular|optimized)" ;;
esac
SECONDS_RUN=${NICSEC_REKEY_SECONDS:-60}
PPS=${NICSEC_REKEY_PPS:-1000}
case "$MODE" in
  initiator) LIFE=("rekey_time: 1
        rand_time: 0
        life_time: 30" "rekey_time: 0
        life_time: 0")
    MIN_RATE=0.8 ;;
  both) LIFE=("rekey_time: 2
        rand_time: 1
        life_time: 30" "rekey_time: 2
        rand_time: 1
        life_time: 30")
    MIN_RATE=0.6 ;;
  *) fail "unknown mode $MODE (initiator|both)" ;;
esac

pair_init nicsec-pair-rekey nicsec-r
pair_make_netns
# A long TUN queue: when the loaded host stalls a sender, its catch-up burst must wait in the
# queue rather than overflow it (that would be host loss, not loss across rekeys).
pair_add_tun 10000

PAIR_ESP=aes256gcm16-x25519
for i in 0 1; do
  pair_config "$i" soft "tun=nsec0" "    $CONN_EXTRA" "        ${LIFE[$i]}" \
    "  inbound_drain_ms: 2000"
done
pair_start_daemons -l info
pair_ctl 0 initiate peer --timeout 10 >/dev/null || fail "the IKE SA was not established"

# start_receiver <side> <port>: a seqflow receiver on side's inner address.
start_receiver() {
  local i=$1 port=$2
  rm -f "$RIG/recv$i.ready"
  ip netns exec "${NS[$i]}" "$SEQFLOW" recv --bind "${NET[$i]}:$port" \
    --ready "$RIG/recv$i.ready" --report "$RIG/recv$i.json" --timeout $((SECONDS_RUN + 30)) \
    --linger-ms 500 >/dev/null 2>"$RIG/recv$i.err" &
  RECV_PIDS+=($!)
  for _ in $(seq 100); do
    [ -e "$RIG/recv$i.ready" ] && return 0
    sleep 0.02
  done
  fail "seqflow receiver on side $i did not start"
}

# children_installed <side>: Child SAs the daemon installed so far (its log says so per SA).
children_installed() {
  grep -c "child net (ike#[0-9]*) INSTALLED" "$RIG/side$1/nicsecd.log"
}

echo "== $MODE: rekeying the Child SA for $SECONDS_RUN s under ping and seqflow ($PPS pps each way)"
RECV_PIDS=()
start_receiver 1 5001
start_receiver 0 5002
installed0=$(children_installed 0)
ip netns exec "${NS[0]}" ping -n -q -i 0.02 -c $((SECONDS_RUN * 50)) -W 2 -I "${NET[0]}" \
  "${NET[1]}" >"$RIG/ping.out" 2>&1 &
ping_pid=$!
ip netns exec "${NS[0]}" "$SEQFLOW" send --to "${NET[1]}:5001" --pps "$PPS" \
  --seconds "$SECONDS_RUN" --size 200 >"$RIG/send0.json" &
send0=$!
ip netns exec "${NS[1]}" "$SEQFLOW" send --to "${NET[0]}:5002" --pps "$PPS" \
  --seconds "$SECONDS_RUN" --size 200 >"$RIG/send1.json" &
send1=$!
wait "$send0" || fail "seqflow sender on side 0 failed"
wait "$send1" || fail "seqflow sender on side 1 failed"
installed=$(($(children_installed 0) - installed0))
wait "${RECV_PIDS[@]}"
wait "$ping_pid"
collisions=$(cat "$RIG"/side*/nicsecd.log | grep -c "rekey collision lost")

echo "   side 0 -> 1: $(cat "$RIG/send0.json")"
echo "                $(cat "$RIG/recv1.json")"
echo "   side 1 -> 0: $(cat "$RIG/send1.json")"
echo "                $(cat "$RIG/recv0.json")"
grep "packet loss" "$RIG/ping.out" | sed 's/^/   ping: /'
# Where packets could vanish outside IPsec: the TUN queue (dropped before nicsecd read them).
for i in 0 1; do
  ip -n "${NS[$i]}" -s -j link show nsec0 | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]
print("   side %s TUN: tx_dropped=%d rx_dropped=%d"
      % (sys.argv[1], s["tx"]["dropped"], s["rx"]["dropped"]))' "$i"
done
echo "   Child SAs installed by side 0 while seqflow ran: $installed ($collisions collisions resolved)"

python3 - "$RIG" "$SECONDS_RUN" "$installed" "$MIN_RATE" <<'PY' || fail "traffic was lost across rekeys or too few rekeys"
import json, re, sys
rig, seconds, installed, min_rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
bad = []
for side in (0, 1):
    r = json.load(open(f"{rig}/recv{side}.json"))
    if not r["end_seen"] or r["lost"] or r["received"] == 0:
        bad.append(f"seqflow into side {side}: {r}")
ping = open(f"{rig}/ping.out").read()
m = re.search(r"(\d+) packets transmitted, (\d+) received", ping)
if not m or m.group(1) != m.group(2):
    bad.append("ping: " + (m.group(0) if m else "no summary"))
if installed < min_rate * seconds:
    bad.append(f"only {installed} Child SAs installed in {seconds} s")
if bad:
    print("\n".join("   " + b for b in bad))
sys.exit(1 if bad else 0)
PY

echo "== both daemons agree on the SAs"
pair_ctl 0 --json list-sas >"$RIG/sas0.json" && pair_ctl 1 --json list-sas >"$RIG/sas1.json" ||
  fail "list-sas failed"
python3 - "$RIG/sas0.json" "$RIG/sas1.json" <<'PY' || fail "the daemons disagree on the SAs"
import json, sys
views = []
for path in sys.argv[1:]:
    ike = [s for s in json.load(open(path))["ike_sas"] if s["state"] == "ESTABLISHED"]
    live = [c for s in ike for c in s["children"] if c["state"] == "INSTALLED"]
    views.append((ike, live))
bad = [f"side {i}: {len(ike)} IKE SAs, {len(live)} installed Child SAs"
       for i, (ike, live) in enumerate(views) if len(ike) != 1 or len(live) != 1]
if not bad:
    (ike0, (c0,)), (ike1, (c1,)) = views
    if (ike0[0]["spi_i"], ike0[0]["spi_r"]) != (ike1[0]["spi_i"], ike1[0]["spi_r"]):
        bad.append("IKE SPIs differ")
    if c0["spi_in"] != c1["spi_out"] or c0["spi_out"] != c1["spi_in"]:
        bad.append(f"Child SPIs not crossed: {c0['spi_in']}/{c0['spi_out']} vs "
                   f"{c1['spi_in']}/{c1['spi_out']}")
    print(f"   IKE {ike0[0]['spi_i']}_{ike0[0]['spi_r']}, Child {c0['spi_in']}/{c0['spi_out']} "
          f"(side 0) = {c1['spi_out']}/{c1['spi_in']} (side 1)")
if bad:
    print("\n".join("   " + b for b in bad))
sys.exit(1 if bad else 0)
PY
for i in 0 1; do
  pair_ctl "$i" audit >"$RIG/audit$i.out" 2>&1 || { cat "$RIG/audit$i.out"; fail "side $i: audit differs"; }
done
echo "   audit: daemon and device agree on both sides"

if [ "$VARIANT" = optimized ]; then
  echo "== optimized: every Child SA rekey was an optimized one"
  started=$(cat "$RIG"/side*/nicsecd.log | grep -c "rekeying child net")
  optimized=$(cat "$RIG"/side*/nicsecd.log | grep "rekeying child net" | grep -c "optimized")
  echo "   $optimized of $started rekey requests optimized"
  [ "$started" -gt 0 ] && [ "$optimized" = "$started" ] || fail "not every rekey was optimized"
  python3 - "$RIG/sas0.json" "$RIG/sas1.json" <<'PY' || fail "the Child SA is not listed as optimized"
import json, sys
for path in sys.argv[1:]:
    kids = [c for s in json.load(open(path))["ike_sas"] for c in s["children"]
            if c["state"] == "INSTALLED"]
    if [c.get("rekey") for c in kids] != ["optimized"]:
        sys.exit(f"   {path}: {[c.get('rekey') for c in kids]}")
PY
fi

echo "== terminate: no SA left in either HAL device"
pair_ctl 0 terminate peer --timeout 10 >/dev/null || fail "terminate failed"
for i in 0 1; do
  left=""
  for _ in $(seq 50); do
    left=$(pair_ctl "$i" --json sa list | python3 -c '
import json, sys
print(" ".join(s["key"] for s in json.load(sys.stdin)["sas"] if s["device"] is not None))')
    [ -z "$left" ] && break
    sleep 0.1
  done
  [ -z "$left" ] || fail "side $i: the HAL still holds $left"
done
echo "   both devices empty"
echo "PASS"
