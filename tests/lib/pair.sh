# Sourced by tests that run two nicsecd in two network namespaces joined by a veth pair
# (side 0: veth-a 192.0.2.1, inner 198.51.100.1; side 1: veth-b 192.0.2.2, inner 203.0.113.1).
#   pair_init <rig-name> <namespace-prefix>   sets RIG, NS, ADDR, NET, PIDS and installs the
#                                             cleanup trap (daemons stopped, namespaces deleted,
#                                             logs shown on failure, RIG removed unless KEEP_RIG)
#   pair_make_netns                           namespaces, veth, outer addresses, lo up, side dirs
#   pair_stop_daemons                         stops every PID in PIDS
#   fail <sentence>                           exits 1 with the sentence
ADDR=(192.0.2.1 192.0.2.2)
NET=(198.51.100.1 203.0.113.1)
PIDS=()

pair_stop_daemons() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  PIDS=()
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
