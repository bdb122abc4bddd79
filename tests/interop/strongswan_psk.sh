#!/usr/bin/env bash
# Interop: nicsecd <-> strongSwan 5.9.8 with PSK authentication, AES-GCM-256, X25519 and one
# tunnel-mode Child SA, UDP-encapsulated (strongSwan's kernel-libipsec always encapsulates, so
# its side forces NAT-T with encap=yes and both move to port 4500).
#   1. nicsecd initiates (nicsecctl initiate), 2. nicsecd deletes (nicsecctl terminate),
#   3. strongSwan initiates (swanctl --initiate), 4. strongSwan deletes (swanctl --terminate).
# After each setup both sides must report the same IKE SPIs, crossed ESP SPIs, the same
# selectors, and the ESP keys nicsecd derived must equal strongSwan's (its chd=4 key log).
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/interop/rig.sh"

rig_up

echo "== 1. nicsecd initiates"
t0=$(now_ms)
ctl initiate peer --timeout 10 || rig_fail "nicsecd could not establish the IKE/Child SA"
t1=$(now_ms)
echo "   established in $((t1 - t0)) ms (nicsecctl initiate, wall clock)"
swan --list-sas
rig_check initiator || rig_fail "strongSwan and nicsecd disagree"

echo "== 2. nicsecd deletes"
ctl terminate peer --timeout 5 || rig_fail "nicsecctl terminate failed"
for _ in $(seq 50); do
  swan --list-sas --raw | grep -q "list-sa event" || break
  sleep 0.02
done
swan --list-sas --raw | grep -q "list-sa event" && rig_fail "strongSwan still lists the IKE SA"
echo "   both sides empty"

echo "== 3. strongSwan initiates"
: >"$RIG/left/charon.log" # only this setup's key log
t0=$(now_ms)
swan --initiate --child net --ike peer --timeout 10 >"$RIG/left/initiate.out" ||
  rig_fail "swanctl --initiate failed: $(tail -3 "$RIG/left/initiate.out")"
t1=$(now_ms)
echo "   established in $((t1 - t0)) ms (swanctl --initiate, wall clock)"
ctl list-sas
rig_check responder || rig_fail "strongSwan and nicsecd disagree"

echo "== 4. strongSwan deletes"
swan --terminate --ike peer --timeout 5 >/dev/null || rig_fail "swanctl --terminate failed"
for _ in $(seq 50); do
  [ "$(ctl list-sas --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["ike_sas"]))')" = 0 ] && break
  sleep 0.02
done
[ "$(ctl list-sas --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["ike_sas"]))')" = 0 ] ||
  rig_fail "nicsecd still lists an IKE SA after strongSwan's Delete"
echo "   both sides empty"
ctl stats
echo "PASS"
