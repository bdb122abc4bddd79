#!/usr/bin/env bash
# Two strongSwan 5.9.8 daemons (charon-systemd, kernel-libipsec) in two network namespaces
# joined by a veth pair (192.0.2.1 / 192.0.2.2), IKE aes256gcm16-prfsha256-x25519, ESP
# aes256gcm16-x25519 (PFS), PSK; the left one initiates, then swan_rekey.py rekeys the Child SA
# back to back over both vici sockets. Prints swan_rekey.py's line last.
#   usage: swan_pair.sh <rekeys>      (root; everything is removed on exit)
# The namespaces and the cleanup are tests/lib/pair.sh's, the strongSwan set-up
# tests/lib/swan.sh's (as in the interop tests).
set -uo pipefail
REKEYS=${1:-1000}
here=$(cd "$(dirname "$0")" && pwd)
lib=$here/../../tests/lib
source "$lib/require.sh"
source "$lib/pair.sh"
source "$lib/swan.sh"

pair_init nicsec-swanpair nicsec-s
pair_make_netns
pair_inner_on_lo

# Only what the rekeys need, and a quiet log: the anchor measures strongSwan's rekey rate.
SWAN_ESP=aes256gcm16-x25519
SWAN_PSK="strongSwan pair rekey benchmark"
for i in 0 1; do
  peer=$((1 - i))
  swan_charon_conf "$RIG/side$i" \
    "random nonce openssl pem pkcs1 x509 pubkey aes sha2 hmac gcm kdf kernel-libipsec kernel-netlink socket-default vici" \
    "install_routes = no" "default = 0
      ike = 1"
  swan_swanctl_conf "$RIG/side$i" "${ADDR[$i]}" "${ADDR[$peer]}" "side$i@example.test" \
    "side$peer@example.test" "${NET[$i]}" "${NET[$peer]}" "rekey_time = 0" "rekey_time = 0
        life_time = 0"
  swan_launch "${NS[$i]}" "$RIG/side$i"
  PIDS+=("$SWAN_PID")
done
for i in 0 1; do
  swan_load "$RIG/side$i" || fail "side $i: strongSwan did not start"
done
swan_at "$RIG/side0" --initiate --child net --timeout 10 >/dev/null 2>&1 || fail "initiate failed"
python3 "$here/swan_rekey.py" "$RIG/side0/charon.vici" "$RIG/side1/charon.vici" "$REKEYS"
