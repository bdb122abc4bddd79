#!/usr/bin/env bash
# Interop: rekeying between nicsecd and strongSwan 5.9.8, without PFS (argument "nopfs") or with
# PFS X25519 ("pfs"). nicsecd initiates the IKE SA, then:
#   1. nicsecd rekeys the Child SA (its rekey_time: 8 s)
#   2. strongSwan rekeys the Child SA (swanctl --rekey --child net)
#   3. strongSwan rekeys the IKE SA (swanctl --rekey --ike peer)
#   4. nicsecd rekeys the IKE SA (its IKE rekey_time)
# After each step: the SPIs changed, both sides list one IKE SA and one Child SA with equal IKE
# SPIs, crossed ESP SPIs and equal ESP keys (the KEYMAT of the rekey, PFS secret included).
# nicsecd offers optimized rekeys and child-pfs-info (drafts strongSwan 5.9.8 does not know): it
# must fall back to regular rekeys, and its listing must say so ("rekey": "regular").
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/interop/rig.sh"

MODE=${1:-nopfs}
if [ "$MODE" = pfs ]; then
  SWAN_ESP=aes256gcm16-x25519
  NICSEC_ESP=aes256gcm16-x25519
fi

rig_requirements
rig_start
rig_swanctl_conf "" "rekey_time = 0"
rig_nicsecd_conf $'    rekey_time: 24\n    optimized_rekey: true\n    child_pfs_info: true' \
  "  inbound_drain_ms: 500"
# Child lifetimes: rekey every 8 s, no jitter (the script waits for it), hard limit far away.
sed -i 's/^        esp_proposals: \(.*\)$/        esp_proposals: \1\n        rekey_time: 8\n        rand_time: 0\n        life_time: 600/' \
  "$RIG/right/nicsecd.yaml"
rig_start_charon
rig_start_nicsecd

# IKE SPI_i, Child spi_in, spi_out and the Child count as nicsecd lists them.
nicsec_spis() {
  ctl list-sas --json | python3 -c '
import json, sys
sas = [s for s in json.load(sys.stdin)["ike_sas"] if s["state"] == "ESTABLISHED"]
kids = [c for s in sas for c in s["children"]]
print(len(sas), sas[0]["spi_i"] if sas else "-", kids[0]["spi_in"] if kids else "-",
      kids[0]["spi_out"] if kids else "-", len(kids))'
}

# How nicsecd's Child SA came to be: "initial", "regular" or "optimized".
nicsec_rekey_kind() {
  ctl list-sas --json | python3 -c '
import json, sys
kids = [c for s in json.load(sys.stdin)["ike_sas"] if s["state"] == "ESTABLISHED"
        for c in s["children"] if c["state"] == "INSTALLED"]
print(kids[0].get("rekey", "-") if kids else "-")'
}

expect_regular() {
  local kind
  kind=$(nicsec_rekey_kind)
  [ "$kind" = regular ] || rig_fail "nicsecd's Child SA came from a '$kind' rekey, not a regular one"
}

# One comparison of both sides (IKE role, role in the exchange that made the Child SA's keys).
check_once() {
  swan --list-sas --raw >"$RIG/swanctl.raw"
  ctl list-sas --json >"$RIG/nicsec.json"
  python3 "$CHECK_SAS" --swanctl "$RIG/swanctl.raw" --nicsec "$RIG/nicsec.json" \
    --charon-log "$RIG/left/charon.log" --keys "$RIG/right/esp-keys.txt" \
    --nicsec-role "$1" --key-role "$2" --encap yes
}

# Waits (up to $1 s) until both sides settled on one IKE SA and one Child SA that agree.
settle_and_check() {
  local wait=$1 role=$2 key_role=$3
  for _ in $(seq $((wait * 10))); do
    if [ "$(nicsec_spis | awk '{print $1, $5}')" = "1 1" ] &&
       [ "$(swan --list-sas --raw | grep -o 'child-sas {[^{]*{' | wc -l)" = 1 ] &&
       check_once "$role" "$key_role" >/dev/null 2>&1; then
      break
    fi
    sleep 0.1
  done
  check_once "$role" "$key_role"
}

# Waits up to $1 s for nicsec_spis field $2 to differ from $3.
wait_change() {
  local wait=$1 field=$2 old=$3
  for _ in $(seq $((wait * 10))); do
    [ "$(nicsec_spis | awk -v f="$field" '{print $f}')" != "$old" ] && return 0
    sleep 0.1
  done
  return 1
}

echo "== setup ($MODE): nicsecd initiates"
ctl initiate peer --timeout 10 || rig_fail "nicsecd could not establish the SAs"
settle_and_check 5 initiator initiator || rig_fail "initial SAs disagree"
read -r _ ike0 in0 out0 _ < <(nicsec_spis)

echo "== 1. nicsecd rekeys the Child SA (rekey_time)"
wait_change 12 3 "$in0" || rig_fail "nicsecd did not rekey the Child SA"
settle_and_check 5 initiator initiator || rig_fail "after nicsecd's Child SA rekey"
read -r _ _ in1 out1 _ < <(nicsec_spis)
[ "$in1" != "$in0" ] && [ "$out1" != "$out0" ] || rig_fail "Child SPIs did not change"
echo "   Child SPIs $in0/$out0 -> $in1/$out1"
expect_regular
# strongSwan saw the offers (private-use notifies it logs by number) and ignored them.
grep -q 'N((50600))' "$RIG/left/charon.log" || rig_fail "no CHILD_SA_PFS_INFO_SUPPORTED offered"
grep -q 'N((50400))' "$RIG/left/charon.log" || rig_fail "no OPTIMIZED_REKEY_SUPPORTED offered"

echo "== 2. strongSwan rekeys the Child SA"
swan --rekey --child net >/dev/null || rig_fail "swanctl --rekey --child failed"
wait_change 5 3 "$in1" || rig_fail "strongSwan's Child SA rekey did not happen"
settle_and_check 5 initiator responder || rig_fail "after strongSwan's Child SA rekey"
read -r _ _ in2 out2 _ < <(nicsec_spis)
echo "   Child SPIs $in1/$out1 -> $in2/$out2"
expect_regular

echo "== 3. strongSwan rekeys the IKE SA"
swan --rekey --ike peer >/dev/null || rig_fail "swanctl --rekey --ike failed"
wait_change 5 2 "$ike0" || rig_fail "strongSwan's IKE SA rekey did not happen"
settle_and_check 5 responder responder || rig_fail "after strongSwan's IKE SA rekey"
read -r _ ike1 in3 _ _ < <(nicsec_spis)
[ "$in3" = "$in2" ] || rig_fail "the IKE rekey changed the Child SA"
echo "   IKE SPI_i $ike0 -> $ike1, Child SA kept"

echo "== 4. nicsecd rekeys the IKE SA (rekey_time, and its Child SA keeps rekeying)"
wait_change 30 2 "$ike1" || rig_fail "nicsecd did not rekey the IKE SA"
# The next Child SA rekey is nicsecd's (every 8 s), so its keys follow the initiator role.
read -r _ _ in4 _ _ < <(nicsec_spis)
wait_change 10 3 "$in4" || rig_fail "nicsecd did not rekey the Child SA on the new IKE SA"
settle_and_check 5 initiator initiator || rig_fail "after nicsecd's IKE SA rekey"
read -r _ ike2 in5 out5 _ < <(nicsec_spis)
echo "   IKE SPI_i $ike1 -> $ike2, Child SPIs now $in5/$out5"
expect_regular
ctl stats
echo "PASS"
