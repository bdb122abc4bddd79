# Sourced by the interop tests: two network namespaces joined by a veth pair, strongSwan 5.9.8
# (charon-systemd with kernel-libipsec, its own strongswan.conf and vici socket) on the left,
# nicsecd on the right. Everything is removed on exit, whatever happens (trap).
#
#   left  (strongSwan) 192.0.2.1, inner 198.51.100.1 on lo, id left@example.test
#   right (nicsecd)    192.0.2.2, inner 203.0.113.1 on lo,  id right@example.test
#
# NICSEC_KEEP_RIG=1 keeps the folder with both logs for debugging.
# Functions: rig_start, rig_swanctl_conf <extra conn lines> <extra child lines>, rig_nicsecd_conf
# <extra conn lines> <extra daemon lines>, rig_start_charon, rig_start_nicsecd, rig_up (all of
# these with the defaults), rig_right_tun, rig_reload, rig_establish <title> <initiator>,
# rig_terminate <title> <initiator>, swan <args>, ctl <args>, rig_check <nicsec-role> [encap],
# rig_fail <message>; ns_transfer (tests/lib/xfer.sh) moves TCP across the tunnel.

source "${NICSEC_SOURCE_DIR:?}/tests/lib/require.sh"
source "$NICSEC_SOURCE_DIR/tests/lib/swan.sh"
source "$NICSEC_SOURCE_DIR/tests/lib/xfer.sh"

BUILD=${NICSEC_BUILD_DIR:?}
NICSECD=$BUILD/host/daemon/nicsecd
NICSECCTL=$BUILD/tools/nicsecctl
CHECK_SAS=$NICSEC_SOURCE_DIR/tests/interop/check_sas.py
PSK="nicsec interop pre-shared key"
SWAN_PSK=$PSK

rig_requirements() {
  require_netns
  require_command swanctl python3 ip
  [ -x /usr/sbin/charon-systemd ] || skip "needs charon-systemd (strongSwan 5.9.8, .ci/setup)"
  [ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
    skip "needs strongSwan's kernel-libipsec plugin (libcharon-extra-plugins)"
  [ -e /usr/lib/ipsec/plugins/libstrongswan-openssl.so ] ||
    skip "needs strongSwan's openssl plugin (libstrongswan-standard-plugins) for X25519/AES-GCM"
  [ -x "$NICSECD" ] && [ -x "$NICSECCTL" ] || skip "nicsecd/nicsecctl not built in $BUILD"
}

RIG=""
LEFT_NS="nicsec-l$$"
RIGHT_NS="nicsec-r$$"
CHARON_PID=""
NICSECD_PID=""
RIG_FAILED=0

rig_cleanup() {
  local status=$?
  [ -n "$NICSECD_PID" ] && kill "$NICSECD_PID" 2>/dev/null && wait "$NICSECD_PID" 2>/dev/null
  [ -n "$CHARON_PID" ] && kill "$CHARON_PID" 2>/dev/null && wait "$CHARON_PID" 2>/dev/null
  ip netns del "$LEFT_NS" 2>/dev/null
  ip netns del "$RIGHT_NS" 2>/dev/null
  if [ -n "$RIG" ]; then
    if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
      echo "---- nicsecd log (tail) ----"
      tail -n 40 "$RIG/right/nicsecd.log" 2>/dev/null
      echo "---- charon log (tail) ----"
      grep -v '\[CHD\] *[0-9]*:' "$RIG/left/charon.log" 2>/dev/null | tail -n 40
    fi
    if [ -n "${NICSEC_KEEP_RIG:-}" ]; then
      echo "rig kept in $RIG (NICSEC_KEEP_RIG)"
    else
      rm -rf "$RIG"
    fi
  fi
  exit "$status"
}

rig_fail() {
  fail "$@"
}

rig_start() {
  RIG=$(mktemp -d /tmp/nicsec-interop.XXXXXX)
  mkdir -p "$RIG/left" "$RIG/right"
  trap rig_cleanup EXIT
  trap 'exit 1' INT TERM
  ip netns add "$LEFT_NS" && ip netns add "$RIGHT_NS" || rig_fail "cannot create namespaces"
  ip link add veth-l netns "$LEFT_NS" type veth peer name veth-r netns "$RIGHT_NS" ||
    rig_fail "cannot create the veth pair"
  ip -n "$LEFT_NS" addr add 192.0.2.1/24 dev veth-l
  ip -n "$RIGHT_NS" addr add 192.0.2.2/24 dev veth-r
  for ns in "$LEFT_NS" "$RIGHT_NS"; do
    ip -n "$ns" link set lo up
  done
  ip -n "$LEFT_NS" link set veth-l up
  ip -n "$RIGHT_NS" link set veth-r up
  ip -n "$LEFT_NS" addr add 198.51.100.1/32 dev lo
  ip -n "$RIGHT_NS" addr add 203.0.113.1/32 dev lo
}

# nicsecd's inner address moves from lo to a TUN device (nsec0, the soft backend's datapath with
# NICSEC_HAL_ARGS=tun=nsec0), created persistent and configured before nicsecd attaches to it;
# MTU 1400 leaves room for outer IP + UDP + ESP in the veth's 1500.
rig_right_tun() {
  ip -n "$RIGHT_NS" addr del 203.0.113.1/32 dev lo
  ip -n "$RIGHT_NS" tuntap add dev nsec0 mode tun
  ip -n "$RIGHT_NS" link set nsec0 mtu 1400 up
  ip -n "$RIGHT_NS" addr add 203.0.113.1/32 dev nsec0
  ip -n "$RIGHT_NS" route add 198.51.100.1/32 dev nsec0 src 203.0.113.1
}

# SWAN_IKE / SWAN_ESP / NICSEC_IKE / NICSEC_ESP override the proposals (strongSwan syntax on
# both sides; nicsecd's YAML takes a list).
# SWAN_LOCAL / SWAN_REMOTE (swanctl auth blocks), NICSEC_LOCAL / NICSEC_REMOTE (YAML flow maps)
# and SWAN_CHARON_EXTRA (strongswan.conf lines) switch authentication to certificates.
# NICSEC_HAL_ARGS: the soft backend's device arguments (tun=<name> gives it a datapath);
# NICSEC_HAL_BACKEND: another backend (sim: the simulated NIC, args attach=<shm>).
SWAN_CHARON_EXTRA=""
NICSEC_IKE=aes256gcm16-prfsha256-x25519
NICSEC_ESP=aes256gcm16
NICSEC_LOCAL="{ id: right@example.test }"
NICSEC_REMOTE="{ id: left@example.test }"
SWAN_PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints aes sha2 hmac gcm kdf kernel-libipsec kernel-netlink socket-default vici updown"

rig_swanctl_conf() {
  swan_charon_conf "$RIG/left" "$SWAN_PLUGINS" "install_routes = yes
  fragment_size = ${SWAN_FRAGMENT_SIZE:-1280}
  $SWAN_CHARON_EXTRA
  retransmit_timeout = 1
  retransmit_base = 1.4" "time_add_ms = yes
      default = 1
      ike = 2
      knl = 1
      esp = 1
      chd = 4
      flush_line = yes"
  swan_swanctl_conf "$RIG/left" 192.0.2.1 192.0.2.2 left@example.test right@example.test \
    198.51.100.1 203.0.113.1 "encap = yes
    ${1:-}" "${2:-}"
}

rig_nicsecd_conf() {
  local extra_conn=${1:-} extra_daemon=${2:-}
  cat >"$RIG/right/nicsecd.yaml" <<EOF
daemon:
  retransmit_timeout_ms: 500
  retransmit_tries: 4
$extra_daemon
hal:
  backend: ${NICSEC_HAL_BACKEND:-soft}
  args: "${NICSEC_HAL_ARGS:-}"
connections:
  - name: peer
    local_addr: 192.0.2.2
    remote_addr: 192.0.2.1
    proposals: [$NICSEC_IKE]
    local: $NICSEC_LOCAL
    remote: $NICSEC_REMOTE
$extra_conn
    children:
      - name: net
        local_ts: [203.0.113.1/32]
        remote_ts: [198.51.100.1/32]
        esp_proposals: [$NICSEC_ESP]
secrets:
  - ids: [left@example.test, right@example.test]
    secret: "$PSK"
EOF
}

swan() {
  swan_at "$RIG/left" "$@" 2> >(grep -v "failed to load" >&2)
}

ctl() {
  "$NICSECCTL" -s "$RIG/right/ctl.sock" "$@"
}

wait_for_socket() {
  local path=$1 what=$2
  for _ in $(seq 100); do
    [ -S "$path" ] && return 0
    sleep 0.02
  done
  rig_fail "$what did not create $path"
}

rig_start_charon() {
  swan_launch "$LEFT_NS" "$RIG/left"
  CHARON_PID=$SWAN_PID
  swan_load "$RIG/left" || rig_fail "strongSwan did not start"
}

rig_start_nicsecd() {
  ip netns exec "$RIGHT_NS" "$NICSECD" -c "$RIG/right/nicsecd.yaml" -s "$RIG/right/ctl.sock" \
    -l debug -L "$RIG/right/nicsecd.log" --export-esp-keys "$RIG/right/esp-keys.txt" &
  NICSECD_PID=$!
  wait_for_socket "$RIG/right/ctl.sock" "nicsecd"
}

# Compares both sides' views (SPIs, algorithms, selectors, ESP keys); non-zero on a mismatch.
rig_check() {
  local role=$1 encap=${2:-yes}
  swan --list-sas --raw >"$RIG/swanctl.raw"
  ctl list-sas --json >"$RIG/nicsec.json" || rig_fail "nicsecctl list-sas failed"
  python3 "$CHECK_SAS" --swanctl "$RIG/swanctl.raw" --nicsec "$RIG/nicsec.json" \
    --charon-log "$RIG/left/charon.log" --keys "$RIG/right/esp-keys.txt" \
    --nicsec-role "$role" --encap "$encap"
}

# Milliseconds since the epoch, for timings.
now_ms() {
  date +%s%3N
}

# The whole rig with the default configurations, both daemons running.
rig_up() {
  rig_requirements
  rig_start
  rig_swanctl_conf
  rig_nicsecd_conf
  rig_start_charon
  rig_start_nicsecd
}

# Both configurations written anew from the SWAN_* / NICSEC_* settings (NICSEC_DAEMON_EXTRA:
# extra daemon lines) and loaded by the running daemons; charon's log starts empty so checks
# read only what the next case logs.
rig_reload() {
  rig_swanctl_conf
  rig_nicsecd_conf "" "${NICSEC_DAEMON_EXTRA:-}"
  swan --reload-settings >/dev/null || rig_fail "swanctl --reload-settings failed"
  swan --load-all --clear --noprompt --file "$RIG/left/swanctl.conf" >"$RIG/left/load.out" 2>&1 ||
    rig_fail "swanctl reload: $(cat "$RIG/left/load.out")"
  ctl load >/dev/null || rig_fail "nicsecctl load failed"
  : >"$RIG/left/charon.log"
}

# rig_establish <title> <nicsecd|strongswan>: that side initiates; prints the time it took and
# compares both sides into $RIG/check.out (fails on a difference).
rig_establish() {
  local title=$1 initiator=$2 t0 t1 role
  t0=$(now_ms)
  if [ "$initiator" = nicsecd ]; then
    ctl initiate peer --timeout 10 >/dev/null || rig_fail "$title: nicsecd could not establish"
    role=initiator
  else
    swan --initiate --child net --ike peer --timeout 10 >"$RIG/left/initiate.out" ||
      rig_fail "$title: swanctl --initiate failed: $(tail -3 "$RIG/left/initiate.out")"
    role=responder
  fi
  t1=$(now_ms)
  echo "   established in $((t1 - t0)) ms"
  rig_check "$role" >"$RIG/check.out" ||
    { cat "$RIG/check.out"; rig_fail "$title: strongSwan and nicsecd disagree"; }
}

# rig_terminate <title> <nicsecd|strongswan>: that side deletes the IKE SA.
rig_terminate() {
  local title=$1 initiator=$2
  if [ "$initiator" = nicsecd ]; then
    ctl terminate peer --timeout 5 >/dev/null || rig_fail "$title: terminate failed"
  else
    swan --terminate --ike peer --timeout 5 >/dev/null || rig_fail "$title: swanctl --terminate"
  fi
}
