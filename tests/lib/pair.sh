# Sourced (after require.sh) by tests that run two nicsecd in two network namespaces joined by
# a veth pair (side 0: veth-a 192.0.2.1, inner 198.51.100.1; side 1: veth-b 192.0.2.2, inner
# 203.0.113.1).
#   pair_require [<command>...]               skips (77) without root/netns, one of the commands,
#                                             or a built nicsecd/nicsecctl; sets BUILD, NICSECD,
#                                             NICSECCTL
#   pair_init <rig-name> <namespace-prefix>   sets RIG, NS, ADDR, NET, PIDS and installs the
#                                             cleanup trap (daemons stopped, namespaces deleted,
#                                             logs shown on failure, RIG removed unless KEEP_RIG)
#   pair_make_netns                           namespaces, veth, outer addresses, lo up, side dirs
#   pair_inner_on_lo                          each side's inner address NET[i] on its lo
#   pair_add_tun [<txqueuelen>]               each side's TUN device nsec0 (MTU 1400) holding
#                                             NET[i], the route to the peer's NET through it
#   pair_make_certs                           a CA ($RIG/ca.pem) and one ECDSA certificate per
#                                             side ($RIG/side<i>.pem/.key, side<i>.example.test)
#   pair_stop_daemons                         stops every PID in PIDS, then every PID in
#                                             LATE_PIDS (devices the daemons still talk to)
#   pair_config <side> <hal backend> <hal args> [<extra connection lines>] [<extra child
#               lines>] [<extra daemon lines>]   writes side's nicsecd.yaml: one connection
#                                             "peer", one child "net" NET<->NET; PAIR_IKE and
#                                             PAIR_ESP are the proposals, PAIR_AUTH psk (default)
#                                             or pubkey (the pair_make_certs certificates)
#   pair_start_daemons [<nicsecd args>...]    nicsecd on both sides (config, ctl.sock and log in
#                                             the side's folder; "{side}" in an argument stands
#                                             for that folder), waits for both control sockets
#   pair_ctl <side> <nicsecctl args...>       nicsecctl of that side
ADDR=(192.0.2.1 192.0.2.2)
NET=(198.51.100.1 203.0.113.1)
PIDS=()
LATE_PIDS=()
PAIR_IKE=aes256gcm16-prfsha256-x25519
PAIR_ESP=aes256gcm16
PAIR_AUTH=psk

pair_require() {
  require_netns
  require_command "$@"
  BUILD=${NICSEC_BUILD_DIR:?}
  NICSECD=$BUILD/host/daemon/nicsecd
  NICSECCTL=$BUILD/tools/nicsecctl
  [ -x "$NICSECD" ] && [ -x "$NICSECCTL" ] || skip "nicsecd/nicsecctl not built in $BUILD"
}

pair_stop_daemons() {
  local pid
  for pid in "${PIDS[@]}" "${LATE_PIDS[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  PIDS=()
  LATE_PIDS=()
}

pair_cleanup() {
  local status=$?
  pair_stop_daemons
  ip netns del "${NS[0]}" 2>/dev/null
  ip netns del "${NS[1]}" 2>/dev/null
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
    tail -n 30 "$RIG"/side*/nicsecd.log "$RIG"/side*/charon.log >&2 2>/dev/null
  fi
  [ -n "${KEEP_RIG:-}" ] || rm -rf "$RIG"
  exit "$status"
}

pair_init() {
  RIG=$(mktemp -d "/tmp/$1.XXXXXX")
  NS=("$2a$$" "$2b$$")
  trap pair_cleanup EXIT
  trap 'exit 1' INT TERM
}

pair_make_netns() {
  local i dev
  ip netns add "${NS[0]}" && ip netns add "${NS[1]}" || fail "cannot create namespaces"
  ip link add veth-a netns "${NS[0]}" type veth peer name veth-b netns "${NS[1]}" ||
    fail "cannot create the veth pair"
  for i in 0 1; do
    dev=$([ "$i" = 0 ] && echo veth-a || echo veth-b)
    ip -n "${NS[$i]}" addr add "${ADDR[$i]}/24" dev "$dev"
    ip -n "${NS[$i]}" link set "$dev" up
    ip -n "${NS[$i]}" link set lo up
    mkdir -p "$RIG/side$i"
  done
}

pair_inner_on_lo() {
  local i
  for i in 0 1; do
    ip -n "${NS[$i]}" addr add "${NET[$i]}/32" dev lo
  done
}

# The TUN device is created persistent and configured before nicsecd attaches to it; MTU 1400
# leaves room for outer IP + UDP + ESP inside the veth's 1500.
pair_add_tun() {
  local i qlen=()
  [ -n "${1:-}" ] && qlen=(txqueuelen "$1")
  for i in 0 1; do
    ip -n "${NS[$i]}" tuntap add dev nsec0 mode tun
    ip -n "${NS[$i]}" link set nsec0 mtu 1400 "${qlen[@]}" up
    ip -n "${NS[$i]}" addr add "${NET[$i]}/32" dev nsec0
    ip -n "${NS[$i]}" route add "${NET[$((1 - i))]}/32" dev nsec0 src "${NET[$i]}"
  done
}

pair_make_certs() {
  local i
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
}

# pair_endpoints <side> <peer>: the YAML "local" / "remote" maps for PAIR_AUTH.
pair_endpoints() {
  local i=$1 peer=$2
  if [ "$PAIR_AUTH" = pubkey ]; then
    echo "    local: { auth: pubkey, id: side$i.example.test, certs: [$RIG/side$i.pem], key: $RIG/side$i.key }"
    echo "    remote: { auth: pubkey, id: side$peer.example.test, cacerts: [$RIG/ca.pem] }"
  else
    echo "    local: { id: side$i@example.test }"
    echo "    remote: { id: side$peer@example.test }"
  fi
}

pair_config() {
  local i=$1 backend=$2 args=$3 extra_conn=${4:-} extra_child=${5:-} extra_daemon=${6:-}
  local peer=$((1 - $1))
  cat >"$RIG/side$i/nicsecd.yaml" <<EOF
daemon:
  retransmit_timeout_ms: 500
$extra_daemon
hal:
  backend: $backend
  args: "$args"
connections:
  - name: peer
    local_addr: ${ADDR[$i]}
    remote_addr: ${ADDR[$peer]}
    proposals: [$PAIR_IKE]
$(pair_endpoints "$i" "$peer")
$extra_conn
    children:
      - name: net
        local_ts: [${NET[$i]}/32]
        remote_ts: [${NET[$peer]}/32]
        esp_proposals: [$PAIR_ESP]
$extra_child
secrets:
  - ids: [side0@example.test, side1@example.test]
    secret: "nicsecd pair test key"
EOF
}

pair_start_daemons() {
  local i
  rm -f "$RIG"/side*/ctl.sock
  for i in 0 1; do
    ip netns exec "${NS[$i]}" "${NICSECD:?}" -c "$RIG/side$i/nicsecd.yaml" \
      -s "$RIG/side$i/ctl.sock" -L "$RIG/side$i/nicsecd.log" "${@//\{side\}/$RIG/side$i}" &
    PIDS+=($!)
  done
  for _ in $(seq 200); do
    [ -S "$RIG/side0/ctl.sock" ] && [ -S "$RIG/side1/ctl.sock" ] && return 0
    sleep 0.02
  done
  fail "nicsecd did not open its control socket: $(tail -n 5 "$RIG"/side*/nicsecd.log)"
}

pair_ctl() {
  local i=$1
  shift
  "${NICSECCTL:?}" -s "$RIG/side$i/ctl.sock" "$@"
}
