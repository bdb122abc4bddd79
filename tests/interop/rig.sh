# Sourced by the interop tests: two network namespaces joined by a veth pair, strongSwan 5.9.8
# (charon-systemd with kernel-libipsec, its own strongswan.conf and vici socket) on the left,
# nicsecd on the right. Everything is removed on exit, whatever happens (trap).
#
#   left  (strongSwan) 192.0.2.1, inner 198.51.100.1 on lo, id left@example.test
#   right (nicsecd)    192.0.2.2, inner 203.0.113.1 on lo,  id right@example.test
#
# NICSEC_KEEP_RIG=1 keeps the folder with both logs for debugging.
# Functions: rig_start, rig_swanctl_conf <extra conn lines> <extra child lines>, rig_nicsecd_conf
# <extra conn lines> <extra daemon lines>, rig_start_charon, rig_start_nicsecd, swan <args>,
# ctl <args>, rig_check <nicsec-role> [encap], rig_fail <message>, rig_transfer <from-ns> <to-ns>
# <to-addr> <port> <megabytes> (TCP, SHA-256 compared on both ends).

source "${NICSEC_SOURCE_DIR:?}/tests/lib/require.sh"

BUILD=${NICSEC_BUILD_DIR:?}
NICSECD=$BUILD/host/daemon/nicsecd
NICSECCTL=$BUILD/tools/nicsecctl
CHECK_SAS=$NICSEC_SOURCE_DIR/tests/interop/check_sas.py
PSK="nicsec interop pre-shared key"

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
  echo "FAIL: $*" >&2
  exit 1
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

# SWAN_IKE / SWAN_ESP / NICSEC_IKE / NICSEC_ESP override the proposals (strongSwan syntax on
# both sides; nicsecd's YAML takes a list).
# SWAN_LOCAL / SWAN_REMOTE (swanctl auth blocks), NICSEC_LOCAL / NICSEC_REMOTE (YAML flow maps)
# and SWAN_CHARON_EXTRA (strongswan.conf lines) switch authentication to certificates.
# NICSEC_HAL_ARGS: the soft backend's device arguments (tun=<name> gives it a datapath);
# NICSEC_HAL_BACKEND: another backend (sim: the simulated NIC, args attach=<shm>).
SWAN_IKE=aes256gcm16-prfsha256-x25519
SWAN_ESP=aes256gcm16
SWAN_LOCAL="auth = psk
      id = left@example.test"
SWAN_REMOTE="auth = psk
      id = right@example.test"
NICSEC_LOCAL="{ id: right@example.test }"
NICSEC_REMOTE="{ id: left@example.test }"
SWAN_CHARON_EXTRA=""
NICSEC_IKE=aes256gcm16-prfsha256-x25519
NICSEC_ESP=aes256gcm16

rig_swanctl_conf() {
  local extra_conn=${1:-} extra_child=${2:-}
  cat >"$RIG/left/strongswan.conf" <<EOF
charon-systemd {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints aes sha2 hmac gcm kdf kernel-libipsec kernel-netlink socket-default vici updown
  install_routes = yes
  fragment_size = ${SWAN_FRAGMENT_SIZE:-1280}
  $SWAN_CHARON_EXTRA
  retransmit_timeout = 1
  retransmit_base = 1.4
  filelog {
    log {
      path = $RIG/left/charon.log
      time_add_ms = yes
      default = 1
      ike = 2
      knl = 1
      esp = 1
      chd = 4
      flush_line = yes
    }
  }
  journal {
    default = -1
  }
  plugins {
    vici {
      socket = unix://$RIG/left/charon.vici
    }
  }
}
EOF
  cat >"$RIG/left/swanctl.conf" <<EOF
connections {
  peer {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = $SWAN_IKE
    encap = yes
    $extra_conn
    local {
      $SWAN_LOCAL
    }
    remote {
      $SWAN_REMOTE
    }
    children {
      net {
        local_ts = 198.51.100.1/32
        remote_ts = 203.0.113.1/32
        esp_proposals = $SWAN_ESP
        start_action = none
        $extra_child
      }
    }
  }
}
secrets {
  ike-peer {
    id-1 = left@example.test
    id-2 = right@example.test
    secret = "$PSK"
  }
}
EOF
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
  swanctl "$@" --uri "unix://$RIG/left/charon.vici" 2> >(grep -v "failed to load" >&2)
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
  ip netns exec "$LEFT_NS" env STRONGSWAN_CONF="$RIG/left/strongswan.conf" \
    /usr/sbin/charon-systemd >"$RIG/left/stdout" 2>&1 &
  CHARON_PID=$!
  wait_for_socket "$RIG/left/charon.vici" "charon-systemd"
  # The vici socket exists a moment before charon accepts on it.
  for _ in $(seq 50); do
    swan --stats >/dev/null 2>&1 && break
    sleep 0.02
  done
  swan --load-all --file "$RIG/left/swanctl.conf" >"$RIG/left/load.out" 2>&1 ||
    rig_fail "swanctl --load-all: $(cat "$RIG/left/load.out")"
  grep -q "loaded connection 'peer'" "$RIG/left/load.out" ||
    rig_fail "strongSwan did not load the connection: $(cat "$RIG/left/load.out")"
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

# rig_transfer <sender-ns> <receiver-ns> <receiver-addr> <port> <megabytes>
rig_transfer() {
  local from=$1 to=$2 addr=$3 port=$4 mb=$5 ready=$RIG/xfer-$4.ready recv_pid sent received t0 t1
  local xfer=$NICSEC_SOURCE_DIR/tests/e2e/soft_xfer.py
  ip netns exec "$to" python3 "$xfer" recv "$addr" "$port" "$ready" >"$RIG/recv-$port.out" 2>&1 &
  recv_pid=$!
  for _ in $(seq 100); do
    [ -e "$ready" ] && break
    sleep 0.02
  done
  [ -e "$ready" ] || rig_fail "the receiver did not start listening"
  t0=$(now_ms)
  sent=$(ip netns exec "$from" python3 "$xfer" send "$addr" "$port" "$mb") ||
    rig_fail "sender failed: $sent"
  wait "$recv_pid" || rig_fail "receiver failed: $(cat "$RIG/recv-$port.out")"
  t1=$(now_ms)
  received=$(cat "$RIG/recv-$port.out")
  [ "$sent" = "$received" ] || rig_fail "sent '$sent' but received '$received'"
  echo "   $mb MB in $((t1 - t0)) ms ($((mb * 8000 / (t1 - t0 + 1))) Mbit/s)," \
    "sha256 ${sent#* } on both ends"
}
