#!/usr/bin/env bash
# Hostile input against a running nicsecd (responder, soft backend) in its network namespace:
# hostile_ike.py sends its corpus of malformed and forged IKEv2 messages from the strongSwan
# namespace and checks each answer against the RFC (notify or silence). Afterwards nicsecd must
# still run, its control socket must answer, and strongSwan 5.9.8 must still establish an IKE SA
# and Child SA with it (keys compared by rig_check). Label interop.
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/interop/rig.sh"

python3 -c "import cryptography" 2>/dev/null || skip "needs python3-cryptography"
rig_up

echo "== hostile corpus against nicsecd (192.0.2.2)"
ip netns exec "$LEFT_NS" python3 "$NICSEC_SOURCE_DIR/tests/interop/hostile_ike.py" 192.0.2.2 \
  "$PSK" left@example.test || rig_fail "nicsecd did not give the RFC's answer to every case"

echo "== nicsecd still up"
kill -0 "$NICSECD_PID" 2>/dev/null || rig_fail "nicsecd died"
ctl stats || rig_fail "the control socket does not answer"

echo "== strongSwan still connects"
# The corpus leaves half-open IKE SAs behind (a real attacker would too); terminating the
# connection clears them, so rig_check sees strongSwan's IKE SA alone.
ctl terminate peer --timeout 5 >/dev/null 2>&1
for _ in $(seq 100); do
  [ "$(ctl list-sas --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["ike_sas"]))')" = 0 ] && break
  sleep 0.05
done
: >"$RIG/left/charon.log"
swan --initiate --child net --ike peer --timeout 10 >"$RIG/left/initiate.out" ||
  rig_fail "swanctl --initiate failed after the corpus: $(tail -3 "$RIG/left/initiate.out")"
rig_check responder || rig_fail "strongSwan and nicsecd disagree after the corpus"
kill -0 "$NICSECD_PID" 2>/dev/null || rig_fail "nicsecd died"
echo "PASS"
