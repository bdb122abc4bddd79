#!/usr/bin/env bash
# Interop: nicsecd <-> strongSwan 5.9.8 with X.509 certificates and RFC 7427 signatures.
# A test CA (ECDSA P-256) issues: left (strongSwan) certificates with ECDSA P-256 and RSA-2048,
# right (nicsecd) certificates with RSA-2048 (nicsecd signs RSASSA-PSS), Ed25519 and ECDSA P-384,
# all with subjectAltName DNS identities. Cases: each side initiating, each key type, and a run
# with 400-octet IKE fragments so the certificates travel in RFC 7383 fragments.
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/interop/rig.sh"

rig_requirements
require_command openssl
rig_start

PKI=$RIG/pki
mkdir -p "$PKI" "$RIG/left/x509" "$RIG/left/x509ca" "$RIG/left/private"

# issue <name> <openssl key options...>: a key and a certificate for <name>.example.test
issue() {
  local name=$1
  shift
  openssl req -newkey "$@" -nodes -keyout "$PKI/$name.key" -out "$PKI/$name.csr" \
    -subj "/O=nicsec test/CN=$name" 2>/dev/null &&
    openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
      -CAcreateserial -days 1 -out "$PKI/$name.pem" \
      -extfile <(printf 'subjectAltName=DNS:%s.example.test\nbasicConstraints=CA:FALSE\n' \
        "${name%%-*}") 2>/dev/null || rig_fail "openssl could not issue $name"
}

t0=$(now_ms)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/ca.key" \
  -out "$PKI/ca.pem" -days 1 -subj "/O=nicsec test/CN=nicsec interop CA" \
  -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null || rig_fail "cannot create the CA"
issue left-ecdsa ec -pkeyopt ec_paramgen_curve:P-256
issue left-rsa rsa:2048
issue right-rsa rsa:2048
issue right-ed25519 ed25519
issue right-p384 ec -pkeyopt ec_paramgen_curve:P-384
echo "   test PKI issued in $(($(now_ms) - t0)) ms"
cp "$PKI/ca.pem" "$RIG/left/x509ca/"

rig_swanctl_conf
rig_nicsecd_conf
rig_start_charon
rig_start_nicsecd

# run_case <title> <initiator> <strongSwan key> <nicsecd key>
run_case() {
  local title=$1 initiator=$2 left=$3 right=$4
  echo "== $title ($initiator initiates)"
  rm -f "$RIG/left/x509/"* "$RIG/left/private/"*
  cp "$PKI/$left.pem" "$RIG/left/x509/"
  cp "$PKI/$left.key" "$RIG/left/private/"
  SWAN_LOCAL="auth = pubkey
      id = left.example.test
      certs = $left.pem"
  SWAN_REMOTE="auth = pubkey
      id = right.example.test"
  NICSEC_LOCAL="{ auth: pubkey, id: right.example.test, certs: [$PKI/$right.pem], key: $PKI/$right.key }"
  NICSEC_REMOTE="{ auth: pubkey, id: left.example.test, cacerts: [$PKI/ca.pem] }"
  rig_reload
  : >"$RIG/right/nicsecd.log"
  rig_establish "$title" "$initiator"
  grep -c '^  ok ' "$RIG/check.out" | sed 's/^/   checks passed: /'
  grep -o "authentication of '[^']*' with [A-Za-z0-9_ -]* successful" "$RIG/left/charon.log" |
    sed 's/^/   strongSwan: /'
  rig_terminate "$title" "$initiator"
}

SWAN_CHARON_EXTRA="rsa_pss = yes"
run_case "ECDSA P-256 <-> RSASSA-PSS" nicsecd left-ecdsa right-rsa
run_case "ECDSA P-256 <-> RSASSA-PSS" strongswan left-ecdsa right-rsa
run_case "RSASSA-PSS <-> Ed25519" strongswan left-rsa right-ed25519
run_case "RSASSA-PSS <-> Ed25519" nicsecd left-rsa right-ed25519
SWAN_CHARON_EXTRA=""
run_case "RSA PKCS#1 v1.5 (strongSwan default) <-> ECDSA P-384" nicsecd left-rsa right-p384

SWAN_FRAGMENT_SIZE=400 NICSEC_DAEMON_EXTRA="  fragment_size: 400" SWAN_CHARON_EXTRA="rsa_pss = yes"
for initiator in nicsecd strongswan; do
  run_case "RSA certificates in 400-octet fragments" "$initiator" left-rsa right-rsa
  grep -q "sent as [0-9]* fragments" "$RIG/right/nicsecd.log" ||
    rig_fail "nicsecd did not fragment its IKE_AUTH message"
  grep -q "reassembled" "$RIG/right/nicsecd.log" ||
    rig_fail "nicsecd did not reassemble strongSwan's fragments"
  echo "   $(grep -o 'sent as [0-9]* fragments' "$RIG/right/nicsecd.log" | head -1)"
done
echo "PASS"
