#!/usr/bin/env bash
# Two nicsecd in two network namespaces (label e2e): PSK with an AEAD and a CBC+HMAC suite,
# forced UDP encapsulation, and ECDSA certificates; each time both daemons must list one
# ESTABLISHED IKE SA with equal SPIs, one INSTALLED Child SA with crossed SPIs, and the ESP keys
# each exported for a direction must be the other's for the same SPI.
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/lib/require.sh"
require_netns
require_command python3 openssl ip
BUILD=${NICSEC_BUILD_DIR:?}
NICSECD=$BUILD/host/daemon/nicsecd
NICSECCTL=$BUILD/tools/nicsecctl
[ -x "$NICSECD" ] && [ -x "$NICSECCTL" ] || skip "nicsecd/nicsecctl not built in $BUILD"

source "$NICSEC_SOURCE_DIR/tests/lib/pair.sh"
pair_init nicsec-pair nicsec-

pair_make_netns
for i in 0 1; do
  ip -n "${NS[$i]}" addr add "${NET[$i]}/32" dev lo
done

# A CA and one ECDSA certificate per side (subjectAltName side<i>.example.test).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$RIG/ca.key" \
  -out "$RIG/ca.pem" -days 1 -subj "/CN=nicsec pair CA" \
  -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null || fail "cannot create the CA"
for i in 0 1; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$RIG/side$i.key" \
    -out "$RIG/side$i.csr" -subj "/CN=side$i" 2>/dev/null &&
    openssl x509 -req -in "$RIG/side$i.csr" -CA "$RIG/ca.pem" -CAkey "$RIG/ca.key" \
      -CAcreateserial -days 1 -out "$RIG/side$i.pem" \
      -extfile <(printf 'subjectAltName=DNS:side%s.example.test\n' "$i") 2>/dev/null ||
    fail "cannot issue side$i"
done

# write_config <side> <ike proposal> <esp proposal> <auth: psk|pubkey> <extra connection lines>
write_config() {
  local i=$1 ike=$2 esp=$3 auth=$4 extra=${5:-} peer=$((1 - $1)) local_ep remote_ep
  if [ "$auth" = pubkey ]; then
    local_ep="{ auth: pubkey, id: side$i.example.test, certs: [$RIG/side$i.pem], key: $RIG/side$i.key }"
    remote_ep="{ auth: pubkey, id: side$peer.example.test, cacerts: [$RIG/ca.pem] }"
  else
    local_ep="{ id: side$i@example.test }"
    remote_ep="{ id: side$peer@example.test }"
  fi
  cat >"$RIG/side$i/nicsecd.yaml" <<EOF
daemon:
  retransmit_timeout_ms: 500
hal:
  backend: soft
connections:
  - name: peer
    local_addr: ${ADDR[$i]}
    remote_addr: ${ADDR[$peer]}
    proposals: [$ike]
    local: $local_ep
    remote: $remote_ep
$extra
    children:
      - name: net
        local_ts: [${NET[$i]}/32]
        remote_ts: [${NET[$peer]}/32]
        esp_proposals: [$esp]
secrets:
  - ids: [side0@example.test, side1@example.test]
    secret: "pair test key"
EOF
}

ctl() {
  local i=$1
  shift
  "$NICSECCTL" -s "$RIG/side$i/ctl.sock" "$@"
}

write_config 0 aes256gcm16-prfsha256-x25519 aes256gcm16 psk
write_config 1 aes256gcm16-prfsha256-x25519 aes256gcm16 psk
for i in 0 1; do
  ip netns exec "${NS[$i]}" "$NICSECD" -c "$RIG/side$i/nicsecd.yaml" -s "$RIG/side$i/ctl.sock" \
    -l debug -L "$RIG/side$i/nicsecd.log" --export-esp-keys "$RIG/side$i/keys.txt" &
  PIDS+=($!)
done
for _ in $(seq 100); do
  [ -S "$RIG/side0/ctl.sock" ] && [ -S "$RIG/side1/ctl.sock" ] && break
  sleep 0.02
done

check_pair() {
  ctl 0 list-sas --json >"$RIG/a.json" && ctl 1 list-sas --json >"$RIG/b.json" ||
    fail "list-sas failed"
  python3 - "$RIG/a.json" "$RIG/b.json" "$RIG/side0/keys.txt" "$RIG/side1/keys.txt" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["ike_sas"]
b = json.load(open(sys.argv[2]))["ike_sas"]
def keys(path):
    out = {}
    for line in open(path):
        f = [x.strip('"') for x in line.strip().lstrip("# ").split('","')]
        out[f[3].lower().replace("0x", "")] = f[5]
    return out
ka, kb = keys(sys.argv[3]), keys(sys.argv[4])
assert len(a) == 1 and len(b) == 1, "one IKE SA on each side"
a, b = a[0], b[0]
assert a["state"] == b["state"] == "ESTABLISHED", "both ESTABLISHED"
assert (a["spi_i"], a["spi_r"]) == (b["spi_i"], b["spi_r"]), "IKE SPIs equal"
assert a["proposal"] == b["proposal"], "IKE algorithms equal"
ca, cb = a["children"][0], b["children"][0]
assert ca["spi_in"] == cb["spi_out"] and ca["spi_out"] == cb["spi_in"], "ESP SPIs crossed"
assert ka[ca["spi_out"]] == kb[ca["spi_out"]] and ka[ca["spi_in"]] == kb[ca["spi_in"]], "ESP keys"
print("   %s, SPIs %s_i %s_r, ESP %s/%s, encap %s, keys equal" % (
    a["proposal"], a["spi_i"], a["spi_r"], ca["spi_in"], ca["spi_out"], ca["encap"]))
EOF
}

# run_case <title> <ike> <esp> <auth> [extra connection lines]
run_case() {
  local t0 t1
  echo "== $1"
  write_config 0 "$2" "$3" "$4" "${5:-}"
  write_config 1 "$2" "$3" "$4" "${5:-}"
  ctl 0 load >/dev/null && ctl 1 load >/dev/null || fail "$1: load failed"
  t0=$(date +%s%3N)
  ctl 0 initiate peer --timeout 10 >/dev/null || fail "$1: not established"
  t1=$(date +%s%3N)
  echo "   established in $((t1 - t0)) ms"
  check_pair || fail "$1: the daemons disagree"
  ctl 0 terminate peer --timeout 5 >/dev/null || fail "$1: terminate failed"
  for _ in $(seq 50); do
    [ "$(ctl 1 list-sas --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["ike_sas"]))')" = 0 ] && return 0
    sleep 0.02
  done
  fail "$1: the responder kept its IKE SA after the Delete"
}

run_case "PSK, AES-GCM-256, X25519" aes256gcm16-prfsha256-x25519 aes256gcm16 psk
run_case "PSK, AES-CBC + HMAC-SHA2-384, MODP-2048" aes256-sha384-modp2048 chacha20poly1305 psk
run_case "PSK, forced UDP encapsulation" aes128gcm16-prfsha256-ecp256 aes128gcm16 psk \
  "    encap: true"
run_case "ECDSA certificates, X448" aes256gcm16-prfsha384-x448 aes256gcm16 pubkey
echo "PASS"
