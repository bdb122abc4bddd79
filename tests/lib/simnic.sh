# Sourced after pair.sh by tests that give each side of a nicsecd pair its own simulated NIC:
# a nicsim process (the Verilated ESP engine) whose BAR nicsecd's `sim` backend attaches to, so
# nicsecd only negotiates and installs SAs and the NIC moves the packets.
#   simnic_requirements           skips (77) unless nicsim, nicsecd and nicsecctl are built
#   simnic_start                  namespaces (pair_make_netns), one nicsim per side, addresses
#   simnic_config <side> [<extra connection lines>] [<extra child lines>] [<extra daemon lines>]
#   simnic_start_daemons          nicsecd on both sides, sim backend attached to its nicsim
#   simctl <side> <args...>       nicsecctl of that side
#   simnic_wait_table <side> current|empty <s>   until the NIC holds exactly the daemon's one
#                                 Child SA (both directions), or nothing
#   simnic_spis <side>            "<IKE SPIs> <Child in/out SPIs>"
#   simnic_no_drops <side>...     no replay drop or auth failure, freed SAs included
#   simnic_show <side> <title>    what `nicsecctl sa list` and `nicsecctl stats` show there
#   simnic_audit <side>           `nicsecctl audit` (daemon and NIC agree) and the NIC holds at
#                                 most one rekey's worth of SAs (4): nothing old left behind
# Wiring: the side's outer address ADDR[i] lives on nicsim's TAP device nsim0 (the host side of
# the NIC); the veth is the NIC's wire and has no address. IKE and ARP cross the NIC unchanged;
# ESP with a known SPI goes through the engine. The inner address NET[i] is on lo, routed to the
# peer's via nsim0.
# nicsim logs go to $RIG/side<i>/nicsim.log; the nicsims stop after the daemons (LATE_PIDS), so
# nicsecd's close still finds its NIC to free the SAs in.
NICSIM=${NICSEC_BUILD_DIR:?}/sim/nicsim
NICSECD=$NICSEC_BUILD_DIR/host/daemon/nicsecd
NICSECCTL=$NICSEC_BUILD_DIR/tools/nicsecctl
SIMNIC_MTU=1400 # room for outer IP + UDP + ESP (+ IV, pad, ICV) in the veth's 1500
SHM=()

simnic_requirements() {
  require_netns
  require_command python3 ip
  [ -x "$NICSIM" ] || skip "nicsim not built in $NICSEC_BUILD_DIR (NICSEC_RTL_SIM=OFF?)"
  [ -x "$NICSECD" ] && [ -x "$NICSECCTL" ] || skip "nicsecd/nicsecctl not built"
  [ -c /dev/net/tun ] || skip "no /dev/net/tun"
}

simnic_wire_dev() { [ "$1" = 0 ] && echo veth-a || echo veth-b; }

# The outer address moves from the veth (now the NIC's wire) to the NIC's TAP.
simnic_host() {
  local i=$1 ns=${NS[$1]} wire
  wire=$(simnic_wire_dev "$i")
  ip -n "$ns" addr flush dev "$wire"
  ip -n "$ns" link set "$wire" arp off
  ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$wire.disable_ipv6=1"
  ip -n "$ns" link set nsim0 mtu "$SIMNIC_MTU" up
  ip -n "$ns" addr add "${ADDR[$i]}/24" dev nsim0
  ip -n "$ns" addr add "${NET[$i]}/32" dev lo
  ip -n "$ns" route add "${NET[$((1 - i))]}/32" via "${ADDR[$((1 - i))]}" dev nsim0 \
    src "${NET[$i]}"
}

simnic_launch() {
  local i=$1
  ip netns exec "${NS[$i]}" "$NICSIM" --shm "${SHM[$i]}" --tap nsim0 \
    --wire-dev "$(simnic_wire_dev "$i")" ${SIMNIC_PCAP:+--pcap "$RIG/side$i/wire.pcap"} \
    2>"$RIG/side$i/nicsim.log" &
  LATE_PIDS+=($!)
}

simnic_start() {
  local i
  pair_make_netns
  for i in 0 1; do
    SHM[$i]=nicsec-$$-side$i
    simnic_launch "$i"
  done
  for _ in $(seq 100); do
    [ -e "/dev/shm/${SHM[0]}" ] && [ -e "/dev/shm/${SHM[1]}" ] && break
    sleep 0.05
  done
  [ -e "/dev/shm/${SHM[0]}" ] && [ -e "/dev/shm/${SHM[1]}" ] ||
    fail "nicsim did not start: $(cat "$RIG"/side*/nicsim.log)"
  for i in 0 1; do
    simnic_host "$i"
  done
}

simnic_config() {
  pair_config "$1" sim "attach=${SHM[$1]}" "${@:2}"
}

simnic_start_daemons() {
  pair_start_daemons -l info
}

simctl() { pair_ctl "$@"; }

# "<IKE spi_i>_<spi_r> <Child spi_in>/<spi_out>" of the side's one established IKE SA, at a
# moment when it has exactly one installed Child SA (waits up to 5 s for one; "-" if none).
simnic_spis() {
  local spis
  for _ in $(seq 50); do
    spis=$(simnic_spis_now "$1")
    [[ "$spis" != *-* ]] && break
    sleep 0.1
  done
  echo "$spis"
}

simnic_spis_now() {
  simctl "$1" --json list-sas | python3 -c '
import json, sys
ike = [s for s in json.load(sys.stdin)["ike_sas"] if s["state"] == "ESTABLISHED"]
kids = [c for s in ike for c in s["children"] if c["state"] == "INSTALLED"]
print(ike[0]["spi_i"] + "_" + ike[0]["spi_r"] if ike else "-",
      kids[0]["spi_in"] + "/" + kids[0]["spi_out"] if len(kids) == 1 else "-")'
}

# simnic_table_is <side> <"current"|"empty">: the NIC's table (device side of `sa list`) is
# exactly the daemon's installed Child SA (one in, one out), or empty. Prints the table.
simnic_table_is() {
  local i=$1 want=$2
  simctl "$i" --json list-sas >"$RIG/side$i/list-sas.json" &&
    simctl "$i" --json sa list >"$RIG/side$i/sa-list.json" || return 1
  python3 - "$RIG/side$i/list-sas.json" "$RIG/side$i/sa-list.json" "$want" <<'PY'
import json, sys
ike = [s for s in json.load(open(sys.argv[1]))["ike_sas"] if s["state"] == "ESTABLISHED"]
kids = [c for s in ike for c in s["children"] if c["state"] == "INSTALLED"]
want = set()
if sys.argv[3] == "current":
    if len(kids) != 1:
        sys.exit(1)
    want = {("in", kids[0]["spi_in"]), ("out", kids[0]["spi_out"])}
nic = [s["device"] for s in json.load(open(sys.argv[2]))["sas"] if s["device"] is not None]
have = {(d["dir"], d["spi"]) for d in nic}
print("   NIC:", ", ".join(f"{d['dir']} {d['spi']} {d['state']} {d['packets']} pkts"
                         for d in nic) or "empty")
sys.exit(0 if have == want and all(d["state"] == "active" for d in nic) else 1)
PY
}

# simnic_wait_table <side> <current|empty> <seconds>: until the table is so (prints it once).
simnic_wait_table() {
  local i=$1 want=$2 tries=$(($3 * 10))
  for _ in $(seq "$tries"); do
    simnic_table_is "$i" "$want" >/dev/null 2>&1 && break
    sleep 0.1
  done
  simnic_table_is "$i" "$want"
}

# simnic_no_drops <side>...: no replay drop and no auth failure on any SA the NIC holds or has
# freed (nicsecd keeps the counters of freed SAs: stats retired_*). Prints the totals.
simnic_no_drops() {
  local i
  for i in "$@"; do
    simctl "$i" --json stats >"$RIG/side$i/stats.json" &&
      simctl "$i" --json sa list >"$RIG/side$i/sa-list.json" || return 1
    python3 - "$RIG/side$i/stats.json" "$RIG/side$i/sa-list.json" "$i" <<'PY' || return 1
import json, sys
st = json.load(open(sys.argv[1]))
nic = [s["device"] for s in json.load(open(sys.argv[2]))["sas"] if s["device"] is not None]
replay = st["retired_replay_drops"] + sum(d["drops"]["replay"] for d in nic)
auth = st["retired_auth_failures"] + sum(d["drops"]["auth"] for d in nic)
print(f"   side {sys.argv[3]}: {st['retired_sas']} SAs freed, replay drops {replay}, "
      f"auth failures {auth}")
sys.exit(0 if replay == 0 and auth == 0 else 1)
PY
  done
}

simnic_show() {
  local i=$1
  echo "   -- host $i ($2): nicsecctl sa list"
  simctl "$i" sa list | sed 's/^/      /'
  echo "   -- host $i: nicsecctl stats (selected)"
  simctl "$i" stats | grep -E "^(ike_established|child_installed|retired_)" | sed 's/^/      /'
}

simnic_audit() {
  local i=$1 held
  simctl "$i" audit >"$RIG/side$i/audit.out" 2>&1 || { cat "$RIG/side$i/audit.out"; return 1; }
  held=$(simctl "$i" --json sa list | python3 -c '
import json, sys
print(sum(s["device"] is not None for s in json.load(sys.stdin)["sas"]))')
  echo "   side $i: nicsecctl audit: daemon and NIC agree; the NIC holds $held SAs"
  [ "$held" -le 4 ]
}
