# Sourced by tests that run two nicsecd in two network namespaces joined by a veth pair
# (side 0: veth-a 192.0.2.1, inner 198.51.100.1; side 1: veth-b 192.0.2.2, inner 203.0.113.1).
#   pair_init <rig-name> <namespace-prefix>   sets RIG, NS, ADDR, NET, PIDS and installs the
#                                             cleanup trap (daemons stopped, namespaces deleted,
#                                             logs shown on failure, RIG removed unless KEEP_RIG)
#   pair_make_netns                           namespaces, veth, outer addresses, lo up, side dirs
#   pair_stop_daemons                         stops every PID in PIDS, then every PID in
#                                             LATE_PIDS (devices the daemons still talk to)
#   pair_config <side> <hal backend> <hal args> [<extra connection lines>] [<extra child
#               lines>] [<extra daemon lines>]   writes side's nicsecd.yaml: PSK, one
#                                             connection "peer", one child "net" NET<->NET
#   pair_start_daemons [<nicsecd args>...]    nicsecd on both sides (config, ctl.sock and log in
#                                             the side's folder), waits for both control sockets
#   pair_ctl <side> <nicsecctl args...>       nicsecctl of that side
#   fail <sentence>                           exits 1 with the sentence
ADDR=(192.0.2.1 192.0.2.2)
NET=(198.51.100.1 203.0.113.1)
PIDS=()
LATE_PIDS=()

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
    tail -n 30 "$RIG"/side*/nicsecd.log 2>/dev/null
  fi
  [ -n "${KEEP_RIG:-}" ] || rm -rf "$RIG"
  exit "$status"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
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
    proposals: [aes256gcm16-prfsha256-x25519]
    local: { id: side$i@example.test }
    remote: { id: side$peer@example.test }
$extra_conn
    children:
      - name: net
        local_ts: [${NET[$i]}/32]
        remote_ts: [${NET[$peer]}/32]
        esp_proposals: [aes256gcm16]
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
      -s "$RIG/side$i/ctl.sock" -L "$RIG/side$i/nicsecd.log" "$@" &
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
