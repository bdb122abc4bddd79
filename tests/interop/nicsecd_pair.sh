#!/usr/bin/env bash
# Two nicsecd in two network namespaces (label e2e): PSK with an AEAD and a CBC+HMAC suite,
# forced UDP encapsulation, and ECDSA certificates; each time both daemons must list one
# ESTABLISHED IKE SA with equal SPIs, one INSTALLED Child SA with crossed SPIs, and the ESP keys
# each exported for a direction must be the other's for the same SPI.
set -uo pipefail
source "${NICSEC_SOURCE_DIR:?}/tests/lib/require.sh"
source "$NICSEC_SOURCE_DIR/tests/lib/pair.sh"
pair_require python3 openssl ip

pair_init nicsec-pair nicsec-
pair_make_netns
pair_inner_on_lo
pair_make_certs

# write_config <side> <ike proposal> <esp proposal> <auth: psk|pubkey> <extra connection lines>
write_config() {
  PAIR_IKE=$2 PAIR_ESP=$3 PAIR_AUTH=$4 pair_config "$1" soft "" "${5:-}"
}

write_config 0 aes256gcm16-prfsha256-x25519 aes256gcm16 psk
write_config 1 aes256gcm16-prfsha256-x25519 aes256gcm16 psk
pair_start_daemons -l debug --export-esp-keys "{side}/keys.txt"

check_pair() {
  pair_ctl 0 list-sas --json >"$RIG/a.json" && pair_ctl 1 list-sas --json >"$RIG/b.json" ||
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
  pair_ctl 0 load >/dev/null && pair_ctl 1 load >/dev/null || fail "$1: load failed"
  t0=$(date +%s%3N)
  pair_ctl 0 initiate peer --timeout 10 >/dev/null || fail "$1: not established"
  t1=$(date +%s%3N)
  echo "   established in $((t1 - t0)) ms"
  check_pair || fail "$1: the daemons disagree"
  pair_ctl 0 terminate peer --timeout 5 >/dev/null || fail "$1: terminate failed"
  for _ in $(seq 50); do
    [ "$(pair_ctl 1 list-sas --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["ike_sas"]))')" = 0 ] && return 0
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
