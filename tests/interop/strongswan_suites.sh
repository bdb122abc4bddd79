#!/usr/bin/env bash
# Interop: nicsecd <-> strongSwan 5.9.8 across algorithm suites, and the IKE_SA_INIT detours:
#   - IKE: AES-GCM/ChaCha20-Poly1305 (AEAD) and AES-CBC + HMAC-SHA2; groups 14, 19, 20, 21, 31, 32
#   - ESP: AES-GCM-128/256 and ChaCha20-Poly1305
#   - INVALID_KE_PAYLOAD in both directions (the initiator's first group is not acceptable)
#   - COOKIE: nicsecd demands cookies (half_open_threshold 0) from strongSwan
# Each case reloads both configurations, establishes with one side initiating, compares both
# sides (SPIs, algorithms, selectors, ESP keys) and deletes again.
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/interop/rig.sh"

rig_up

ike_count() {
  ctl list-sas --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["ike_sas"]))'
}

wait_empty() {
  for _ in $(seq 100); do
    [ "$(ike_count)" = 0 ] && ! swan --list-sas --raw | grep -q "list-sa event" && return 0
    sleep 0.02
  done
  rig_fail "SAs left over after the delete"
}

# run_case <title> <initiator: nicsecd|strongswan> <expected IKE proposal (nicsecd naming)>
# Uses SWAN_IKE, SWAN_ESP, NICSEC_IKE, NICSEC_ESP and the optional NICSEC_DAEMON_EXTRA.
run_case() {
  local title=$1 initiator=$2 expect=$3
  echo "== $title ($initiator initiates)"
  rig_reload
  rig_establish "$title" "$initiator"
  grep -q "IKE algorithms equal: $expect\$" "$RIG/check.out" ||
    { cat "$RIG/check.out"; rig_fail "$title: expected IKE proposal $expect"; }
  grep -c '^  ok ' "$RIG/check.out" | sed 's/^/   checks passed: /'
  rig_terminate "$title" "$initiator"
  wait_empty
}

suite() {
  SWAN_IKE=$1 NICSEC_IKE=$1 SWAN_ESP=$2 NICSEC_ESP=$2 run_case "suite $1 / ESP $2" "$3" "$4"
}

suite aes128-sha256-modp2048 aes128gcm16 nicsecd \
  AES_CBC_128/PRF_HMAC_SHA2_256/HMAC_SHA2_256_128/MODP_2048
suite aes256-sha384-ecp384 aes256gcm16 strongswan \
  AES_CBC_256/PRF_HMAC_SHA2_384/HMAC_SHA2_384_192/ECP_384
suite aes128gcm16-prfsha256-ecp256 aes128gcm16 nicsecd AES_GCM_16_128/PRF_HMAC_SHA2_256/ECP_256
suite aes256gcm16-prfsha512-ecp521 aes256gcm16 strongswan AES_GCM_16_256/PRF_HMAC_SHA2_512/ECP_521
suite chacha20poly1305-prfsha256-x448 chacha20poly1305 nicsecd \
  CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_448
suite chacha20poly1305-prfsha384-x25519 chacha20poly1305 strongswan \
  CHACHA20_POLY1305/PRF_HMAC_SHA2_384/CURVE_25519

# INVALID_KE_PAYLOAD: the initiator's KEi is for its first group, the responder wants another.
SWAN_IKE=aes256gcm16-prfsha256-ecp256 NICSEC_IKE=aes256gcm16-prfsha256-x25519-ecp256 \
  run_case "INVALID_KE_PAYLOAD from strongSwan" nicsecd AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256
grep -q "IKE_SA_INIT again: the responder wants another KE method" "$RIG/right/nicsecd.log" ||
  rig_fail "nicsecd did not restart IKE_SA_INIT after INVALID_KE_PAYLOAD"
SWAN_IKE=aes256gcm16-prfsha256-x25519-ecp384 NICSEC_IKE=aes256gcm16-prfsha256-ecp384 \
  run_case "INVALID_KE_PAYLOAD from nicsecd" strongswan AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_384
grep -q "INVALID_KE_PAYLOAD" "$RIG/right/nicsecd.log" ||
  rig_fail "nicsecd did not answer INVALID_KE_PAYLOAD"

# COOKIE: with no half-open SA allowed, every IKE_SA_INIT must first return our cookie.
before=$(ctl stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cookies_sent"])')
NICSEC_DAEMON_EXTRA="  half_open_threshold: 0" \
  run_case "COOKIE demanded by nicsecd" strongswan AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519
after=$(ctl stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cookies_sent"])')
[ "$after" -gt "$before" ] || rig_fail "nicsecd sent no COOKIE"
echo "   cookies sent: $((after - before))"

# RFC 7383: with 200-octet datagrams both IKE_AUTH messages
# travel in fragments, with either side initiating.
for initiator in nicsecd strongswan; do
  : >"$RIG/right/nicsecd.log"
  SWAN_FRAGMENT_SIZE=200 NICSEC_DAEMON_EXTRA="  fragment_size: 200" \
    run_case "IKE fragmentation, small datagrams" "$initiator" \
    AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519
  grep -q "sent as [0-9]* fragments" "$RIG/right/nicsecd.log" ||
    rig_fail "nicsecd did not fragment its IKE_AUTH message"
  grep -q "reassembled" "$RIG/right/nicsecd.log" ||
    rig_fail "nicsecd did not reassemble strongSwan's fragments"
  echo "   $(grep -o 'sent as [0-9]* fragments' "$RIG/right/nicsecd.log" | head -1), $(grep -c reassembled "$RIG/right/nicsecd.log") message(s) reassembled"
done
echo "PASS"
