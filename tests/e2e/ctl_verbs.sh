#!/usr/bin/env bash
# e2e: every nicsecctl verb against two running nicsecd (HAL backend: the first argument, soft
# by default; sim = the Verilated NIC's in-process engine) in two network
# namespaces, one IKE SA with one Child SA between them:
#   - caps, sa list, sa show, audit, watch, metrics (stdout and --listen), keys --wireshark, in
#     text and --json; every JSON document validated against tools/schema/*.json;
#   - bad input: non-zero exit with a sentence;
#   - audit detects an SA removed behind nicsecd's back and a parameter changed behind its back
#     (the test-only `test-hal` control command, enabled by NICSECD_TEST_COMMANDS=1: the soft
#     device lives inside nicsecd's process, so no second HAL client can reach it);
#   - keys: the ESP keys equal those nicsecd --export-esp-keys wrote at install time, and tshark
#     decrypts the captured IKE_AUTH exchange with the exported ikev2_decryption_table line.
#     (nicsecd does not drive the soft datapath yet, so no ESP traffic flows to decrypt.)
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/lib/require.sh"
require_netns
require_command python3 ip tshark dumpcap setpriv
BUILD=${NICSEC_BUILD_DIR:?}
SRC=$NICSEC_SOURCE_DIR
NICSECD=$BUILD/host/daemon/nicsecd
NICSECCTL=$BUILD/tools/nicsecctl
BACKEND=${1:-soft}
VALIDATE="python3 $SRC/tools/schema/validate.py"
[ -x "$NICSECD" ] && [ -x "$NICSECCTL" ] || skip "nicsecd/nicsecctl not built in $BUILD"

source "$SRC/tests/lib/pair.sh"
pair_init nicsec-ctl nicsec-c
ok() { echo "ok   $*"; }

pair_make_netns
for i in 0 1; do
  ip -n "${NS[$i]}" addr add "${NET[$i]}/32" dev lo
  pair_config "$i" "$BACKEND" ""
done

ip netns exec "${NS[0]}" dumpcap -q -i veth-a -f "udp port 500 or udp port 4500" \
  -w "$RIG/ike.pcap" 2>/dev/null &
PIDS+=($!)
for i in 0 1; do
  ip netns exec "${NS[$i]}" env NICSECD_TEST_COMMANDS=1 "$NICSECD" -c "$RIG/side$i/nicsecd.yaml" \
    -s "$RIG/side$i/ctl.sock" -l debug -L "$RIG/side$i/nicsecd.log" \
    --export-esp-keys "$RIG/side$i/keys.txt" &
  PIDS+=($!)
done
for _ in $(seq 100); do
  [ -S "$RIG/side0/ctl.sock" ] && [ -S "$RIG/side1/ctl.sock" ] && [ -s "$RIG/ike.pcap" ] && break
  sleep 0.05
done
sleep 0.3 # dumpcap opens the capture file before it captures

ctl() {
  local i=$1
  shift
  "$NICSECCTL" -s "$RIG/side$i/ctl.sock" "$@"
}
# expect_fail <exit status> <words the sentence must contain> -- <command...>
expect_fail() {
  local want=$1 words=$2 got
  shift 3
  "$@" >"$RIG/out" 2>"$RIG/err"
  got=$?
  [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
  grep -q -e "$words" "$RIG/err" || fail "'$*' said '$(cat "$RIG/err")', expected '$words'"
}

ctl 0 initiate peer --timeout 10 >/dev/null || fail "not established"
ok "IKE SA and Child SA up"

# ---- caps ----
ctl 0 caps | grep -q "backend $BACKEND" || fail "caps text"
ctl 0 caps --json >"$RIG/caps.json" && $VALIDATE "$SRC/tools/schema/caps.json" "$RIG/caps.json" ||
  fail "caps --json does not match the schema"
ok "caps (text, JSON valid)"

# ---- sa list / sa show ----
for i in 0 1; do
  ctl "$i" sa list --json >"$RIG/list$i.json" || fail "sa list --json on side $i"
  $VALIDATE "$SRC/tools/schema/sa-list.json" "$RIG/list$i.json" || fail "sa list schema, side $i"
done
ctl 0 sa list >"$RIG/list.txt" || fail "sa list"
grep -q "aes-gcm-256" "$RIG/list.txt" && grep -q "peer/net" "$RIG/list.txt" || fail "sa list text"
read -r SPI_IN SPI_OUT < <(python3 - "$RIG/list0.json" "$RIG/list1.json" "$BACKEND" <<'EOF'
import json, sys
a, b = (json.load(open(p))["sas"] for p in sys.argv[1:3])
assert len(a) == 2 and len(b) == 2, "two SAs on each side"
for sa in a + b:
    assert sa["device"] and sa["daemon"], "both sides know every SA"
    d, o = sa["device"], sa["daemon"]
    assert d["state"] == "active" and d["handle"] == o["handle"] and d["alg"] == "aes-gcm-256"
    assert d["key_bits"] == 256 and d["icv_bytes"] == 16 and d["backend"] == sys.argv[3]
ins = {s["spi"] for s in a if s["dir"] == "in"}
outs_b = {s["spi"] for s in b if s["dir"] == "out"}
assert ins == outs_b, "side 0's inbound SPI is side 1's outbound SPI"
print(next(iter(ins)), next(s["spi"] for s in a if s["dir"] == "out"))
EOF
) || fail "sa list contents"
ctl 0 sa show "0x$SPI_IN" | grep -q "handle" || fail "sa show text"
ctl 0 sa show "$SPI_IN" --json >"$RIG/show.json" &&
  $VALIDATE "$SRC/tools/schema/sa-list.json" "$RIG/show.json" || fail "sa show --json schema"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['sas'])==1" \
  "$RIG/show.json" || fail "sa show lists one SA"
ok "sa list, sa show (text, JSON valid; SPIs crossed between the daemons)"

expect_fail 2 "hex digits" -- ctl 0 sa show zzz
expect_fail 1 "neither the device nor nicsecd" -- ctl 0 sa show 0x100
expect_fail 2 "unknown command" -- ctl 0 frobnicate
expect_fail 2 "sensible value" -- ctl 0 watch --interval nope
expect_fail 2 "cannot reach nicsecd" -- "$NICSECCTL" -s "$RIG/nowhere.sock" caps
ok "bad input refused with a sentence"

# ---- audit: consistent ----
ctl 0 audit >"$RIG/audit.txt" || fail "audit of consistent tables exited non-zero"
grep -q "consistent" "$RIG/audit.txt" || fail "audit text"
ctl 0 audit --json >"$RIG/audit.json" && $VALIDATE "$SRC/tools/schema/audit.json" "$RIG/audit.json" ||
  fail "audit --json schema"
ok "audit: consistent"

# ---- watch ----
ctl 0 watch --json --count 3 --interval 0.2 >"$RIG/watch.jsonl" || fail "watch --json"
[ "$(wc -l <"$RIG/watch.jsonl")" = 3 ] || fail "watch --count 3 printed $(wc -l <"$RIG/watch.jsonl") frames"
$VALIDATE "$SRC/tools/schema/watch.json" <"$RIG/watch.jsonl" || fail "watch frames schema"
python3 - "$RIG/watch.jsonl" <<'EOF' || fail "watch rates"
import json, sys
frames = [json.loads(l) for l in open(sys.argv[1])]
assert frames[0]["interval_s"] is None and all(r["packets_per_s"] is None for r in frames[0]["sas"])
assert all(0.15 < f["interval_s"] < 2 for f in frames[1:])
assert all(r["packets_per_s"] == 0 for r in frames[2]["sas"]), "idle SAs: rate 0"
EOF
ctl 0 watch --count 1 | grep -q "PKT/S" || fail "watch text"
ok "watch (3 frames, rates, JSON valid)"

# ---- metrics ----
check_prom() {
  python3 - "$1" "$BACKEND" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
backend = sys.argv[2]
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9]+(\.[0-9]+)?$')
for line in text.splitlines():
    assert line.startswith("# HELP ") or line.startswith("# TYPE ") or sample.match(line), line
assert 'nicsec_handshakes_total{result="ok"} 1' in text
assert 'nicsec_handshakes_total{result="failed"} 0' in text
assert 'nicsec_ike_sas_established_total 1' in text
assert 'nicsec_ike_error_notifies_total{direction="sent",type="NO_PROPOSAL_CHOSEN"} 0' in text
assert 'nicsec_ike_error_notifies_total{direction="received",type="TS_UNACCEPTABLE"} 0' in text
assert 'nicsec_rekeys_total{sa="child",role="initiated"} 0' in text
assert '# TYPE nicsec_hal_errors_total counter' in text
assert re.search(r'nicsec_sa_packets_total\{dir="in",spi="0x[0-9a-f]{8}",backend="' + backend + r'",conn="peer",child="net"\} 0', text)
assert 'nicsec_sa_drops_total{' in text and 'reason="replay"' in text
assert 'nicsec_device_drops_total{backend="%s",reason="no-sa"} 0' % backend in text
EOF
}
ctl 0 metrics >"$RIG/metrics.txt" && check_prom "$RIG/metrics.txt" || fail "metrics text"
PORT=$((20000 + $$ % 20000))
ip netns exec "${NS[0]}" "$NICSECCTL" -s "$RIG/side0/ctl.sock" metrics --listen "127.0.0.1:$PORT" \
  --count 1 2>/dev/null &
LISTENER=$!
for _ in $(seq 50); do
  ip netns exec "${NS[0]}" python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$PORT/metrics').read().decode())" \
    >"$RIG/scraped.txt" 2>/dev/null && break
  sleep 0.05
done
wait "$LISTENER" || fail "metrics --listen exited non-zero"
check_prom "$RIG/scraped.txt" || fail "scraped metrics"
expect_fail 2 "not a loopback address" -- ctl 0 metrics --listen "0.0.0.0:$PORT"
expect_fail 2 "address:port" -- ctl 0 metrics --listen "nonsense"
ctl 0 metrics --json >"$RIG/metrics.json" &&
  $VALIDATE "$SRC/tools/schema/metrics.json" "$RIG/metrics.json" || fail "metrics --json schema"
ok "metrics (text format checked, served over HTTP on loopback, remote refused, JSON valid)"

# ---- keys ----
expect_fail 2 "--wireshark" -- ctl 0 keys
expect_fail 1 "only root" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
  "$NICSECCTL" -s "$RIG/side0/ctl.sock" keys --wireshark
ctl 0 keys --wireshark >"$RIG/ws.txt" 2>"$RIG/ws.err" || fail "keys --wireshark"
grep -q "WARNING" "$RIG/ws.err" || fail "keys --wireshark printed no warning"
python3 - "$RIG/ws.txt" "$RIG/side0/keys.txt" <<'EOF' || fail "exported ESP keys differ from the install-time ones"
import sys
esp = sorted(l.strip() for l in open(sys.argv[1]) if l.startswith('"IPv4"'))
installed = sorted(l.strip() for l in open(sys.argv[2]) if l.startswith('"IPv4"'))
assert len(esp) == 2 and esp == installed, (esp, installed)
EOF
python3 - "$RIG/ws.txt" "$RIG/list0.json" "$RIG/metrics.txt" "$RIG/audit.json" "$RIG/show.json" \
  "$RIG/side0/nicsecd.log" <<'EOF' || fail "a key appears outside keys --wireshark"
import sys
secrets = set()
for line in open(sys.argv[1]):
    if line.startswith('"'):
        secrets.add(line.split('","')[5].removeprefix("0x").lower())
    elif not line.startswith("#"):
        secrets.update(f for f in line.strip().split(",")[2:4])
assert len(secrets) == 4, secrets
for path in sys.argv[2:]:
    text = open(path).read().lower()
    assert not any(s in text for s in secrets), path
EOF
IKE_LINE=$(grep -v '^#' "$RIG/ws.txt" | grep -v '^"' | head -1)
[ -n "$IKE_LINE" ] || fail "no ikev2_decryption_table line"
kill "${PIDS[0]}" 2>/dev/null
wait "${PIDS[0]}" 2>/dev/null
# Both IKE_AUTH messages (one per direction: SK_ei and SK_er) must decrypt to their identities.
tshark -r "$RIG/ike.pcap" -o "uat:ikev2_decryption_table:$IKE_LINE" \
  -Y "isakmp.exchangetype == 35" -V 2>/dev/null >"$RIG/ike_auth.txt"
[ "$(grep -c 'Decrypted Data' "$RIG/ike_auth.txt")" = 2 ] &&
  grep -q 'ID_FQDN: side0@example.test' "$RIG/ike_auth.txt" &&
  grep -q 'ID_FQDN: side1@example.test' "$RIG/ike_auth.txt" ||
  fail "tshark did not decrypt both IKE_AUTH messages"
ok "keys --wireshark (root only, warning, ESP keys = install-time keys, tshark decrypts IKE_AUTH)"

# ---- rekey ----
# counter <side> <sample line prefix>: the value of one Prometheus sample
counter() {
  ctl "$1" metrics | python3 -c "import sys; print(next(l.split()[-1] for l in sys.stdin if l.startswith(sys.argv[1])))" "$2"
}
wait_counter() { # <side> <sample> <value>
  for _ in $(seq 100); do
    [ "$(counter "$1" "$2")" = "$3" ] && return 0
    sleep 0.05
  done
  return 1
}
expect_fail 2 "--child" -- ctl 0 rekey
expect_fail 2 "both" -- ctl 0 rekey --child net --ike peer
expect_fail 1 "no Child SA" -- ctl 0 rekey --child nosuch
expect_fail 1 "no established IKE SA" -- ctl 0 rekey --ike nosuch
ctl 0 rekey --child net --json >"$RIG/rekey.json" &&
  $VALIDATE "$SRC/tools/schema/rekey.json" "$RIG/rekey.json" || fail "rekey --child --json"
wait_counter 0 'nicsec_rekeys_total{sa="child",role="initiated"}' 1 || fail "child rekey not counted"
wait_counter 1 'nicsec_rekeys_total{sa="child",role="responded"}' 1 || fail "responder rekey not counted"
ctl 0 sa list --json >"$RIG/list0r.json" || fail "sa list after rekey"
NEW_IN=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['sas']; print(max((x['device']['handle'], x['spi']) for x in s if x['dir']=='in' and x['device'])[1])" "$RIG/list0r.json")
[ "$NEW_IN" != "$SPI_IN" ] || fail "the rekey did not install a new inbound SA"
ctl 0 rekey --child "0x$NEW_IN" | grep -q "rekeying child net of peer" || fail "rekey by SPI"
wait_counter 0 'nicsec_rekeys_total{sa="child",role="initiated"}' 2 || fail "rekey by SPI not counted"
ctl 1 rekey --ike peer >/dev/null || fail "rekey --ike"
wait_counter 1 'nicsec_rekeys_total{sa="ike",role="initiated"}' 1 || fail "IKE rekey not counted"
wait_counter 0 'nicsec_rekeys_total{sa="ike",role="responded"}' 1 || fail "IKE rekey (responder)"
ctl 0 list-sas | grep -q "made   regular rekey" || fail "list-sas does not say the Child SA came from a rekey"
ok "rekey --child (name, SPI) and --ike, counted in metrics; bad input refused"
# The audit below works on the SAs of now.
for _ in $(seq 100); do # the old Child SAs are deleted once the rekeys' Delete exchanges end
  ctl 0 sa list --json >"$RIG/list0.json"
  python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['sas']; sys.exit(len(s) != 2)" "$RIG/list0.json" && break
  sleep 0.05
done
read -r SPI_IN SPI_OUT < <(python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['sas']; print(next(x['spi'] for x in s if x['dir']=='in'), next(x['spi'] for x in s if x['dir']=='out'))" "$RIG/list0.json")
ctl 0 audit >/dev/null || fail "audit after the rekeys: not consistent"

# ---- audit: changes behind nicsecd's back ----
ctl 0 list-sas >/dev/null || fail "list-sas (kept verb)"
req() { python3 -c "import json,sys; print(json.dumps(dict(a.split('=',1) for a in sys.argv[1:])))" "$@"; }
send() {
  python3 - "$RIG/side0/ctl.sock" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode() + b"\n")
reply = json.loads(s.makefile().readline()); assert reply["ok"], reply
EOF
}
# The compact rows form nicsecctl asks for: the same SAs, members and order as the objects.
python3 - "$RIG/side0/ctl.sock" <<'EOF' || fail "sa-table rows form"
import json, socket, sys
def ask(req):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(json.dumps(req).encode() + b"\n")
    return json.loads(s.makefile().readline())
objects, rows = ask({"cmd": "sa-table"}), ask({"cmd": "sa-table", "form": "rows"})
def rebuild(cols, row):  # nested objects come flat: "obj.member" columns, a marker "obj" first
    obj, i = {}, 0
    while i < len(cols):
        c, j = cols[i], i + 1
        while j < len(cols) and "." not in c and cols[j].startswith(c + "."):
            j += 1
        if j > i + 1:  # a marker: null, or the object of the members after it
            obj[c] = None if row[i] is None else {cols[k][len(c) + 1:]: row[k] for k in range(i + 1, j)}
        elif "." in c:
            o, m = c.split(".", 1)
            obj.setdefault(o, {})[m] = row[i]
        else:
            obj[c] = row[i]
        i = j
    return obj
def shape(v):  # member names and nesting, counters aside (the answers are moments apart)
    return [(k, shape(x)) for k, x in v.items()] if isinstance(v, dict) else None
for side in ("device", "daemon"):
    cols, want = rows[side + "_columns"], objects[side + "_sas"]
    assert want and all(len(r) == len(cols) for r in rows[side + "_sas"]), side
    assert all("." in c or not isinstance(v, dict) for r in rows[side + "_sas"] for c, v in zip(cols, r)), side
    got = [rebuild(cols, r) for r in rows[side + "_sas"]]
    name = lambda sa: (sa["dir"], sa["spi"], sa["dst"], sa["alg"], sa["limits"], sa["encap"])
    assert sorted(map(name, got)) == sorted(map(name, want)), side
    key = lambda sa: (sa["dir"], sa["spi"], sa["dst"])
    by_key = {key(w): shape(w) for w in want}
    assert all(shape(g) == by_key[key(g)] for g in got), side
refused = ask({"cmd": "sa-table", "form": "xml"})
assert not refused["ok"] and "form" in refused["error"], refused
EOF
send "{\"cmd\":\"test-hal\",\"action\":\"limits\",\"dir\":\"out\",\"spi\":\"$SPI_OUT\",\"hard_packets\":1000}" ||
  fail "test-hal limits"
ctl 0 audit --json >"$RIG/audit2.json"
[ $? = 1 ] || fail "audit did not exit 1 after a parameter change"
$VALIDATE "$SRC/tools/schema/audit.json" "$RIG/audit2.json" || fail "audit schema (mismatch)"
python3 - "$RIG/audit2.json" "$SPI_OUT" <<'EOF' || fail "audit missed the limits mismatch"
import json, sys
a = json.load(open(sys.argv[1]))
assert not a["consistent"] and not a["device_only"] and not a["daemon_only"]
assert [(m["field"], m["device"]["hard_packets"], m["daemon"]["hard_packets"]) for m in a["mismatches"]] == [("limits", 1000, 0)]
assert a["mismatches"][0]["key"].startswith("out/" + sys.argv[2] + "/")
EOF
send "{\"cmd\":\"test-hal\",\"action\":\"remove\",\"dir\":\"in\",\"spi\":\"$SPI_IN\"}" || fail "test-hal remove"
ctl 0 audit >"$RIG/audit3.txt"
[ $? = 1 ] || fail "audit did not exit 1 after an SA vanished"
grep -q "only in nicsecd: *in/$SPI_IN/" "$RIG/audit3.txt" || fail "audit text misses the removed SA"
ctl 0 sa show "$SPI_IN" | grep -q "(nicsecd)" || fail "sa show of the removed SA"
ok "audit detects a removed SA and a changed parameter (exit 1)"
echo "PASS"
