#!/usr/bin/env bash
# Two strongSwan 5.9.8 daemons (charon-systemd, kernel-libipsec) in two network namespaces
# joined by a veth pair (192.0.2.1 / 192.0.2.2), IKE aes256gcm16-prfsha256-x25519, ESP
# aes256gcm16-x25519 (PFS), PSK; the left one initiates, then swan_rekey.py rekeys the Child SA
# back to back over both vici sockets. Prints swan_rekey.py's line last.
#   usage: swan_pair.sh <rekeys>      (root; everything is removed on exit)
set -uo pipefail
REKEYS=${1:-1000}
here=$(cd "$(dirname "$0")" && pwd)
RIG=$(mktemp -d /tmp/nicsec-swanpair.XXXXXX)
NS=("nicsec-sl$$" "nicsec-sr$$")
ADDR=(192.0.2.1 192.0.2.2)
NET=(198.51.100.1 203.0.113.1)
PIDS=()

cleanup() {
  local status=$? pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  ip netns del "${NS[0]}" 2>/dev/null
  ip netns del "${NS[1]}" 2>/dev/null
  [ "$status" -ne 0 ] && tail -n 20 "$RIG"/side*/charon.log >&2
  rm -rf "$RIG"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "${NS[0]}" && ip netns add "${NS[1]}" || exit 1
ip link add veth-l netns "${NS[0]}" type veth peer name veth-r netns "${NS[1]}" || exit 1
for i in 0 1; do
  dev=$([ "$i" = 0 ] && echo veth-l || echo veth-r)
  ip -n "${NS[$i]}" addr add "${ADDR[$i]}/24" dev "$dev"
  ip -n "${NS[$i]}" link set "$dev" up
  ip -n "${NS[$i]}" link set lo up
  ip -n "${NS[$i]}" addr add "${NET[$i]}/32" dev lo
  mkdir -p "$RIG/side$i"
  peer=$((1 - i))
  cat >"$RIG/side$i/strongswan.conf" <<EOC
charon-systemd {
  load_modular = no
  load = random nonce openssl pem pkcs1 x509 pubkey aes sha2 hmac gcm kdf kernel-libipsec kernel-netlink socket-default vici
  install_routes = no
  filelog {
    log {
      path = $RIG/side$i/charon.log
      default = 0
      ike = 1
    }
  }
  journal {
    default = -1
  }
  plugins {
    vici {
      socket = unix://$RIG/side$i/charon.vici
    }
  }
}
EOC
  cat >"$RIG/side$i/swanctl.conf" <<EOC
connections {
  peer {
    version = 2
    local_addrs = ${ADDR[$i]}
    remote_addrs = ${ADDR[$peer]}
    proposals = aes256gcm16-prfsha256-x25519
    rekey_time = 0
    local {
      auth = psk
      id = side$i@example.test
    }
    remote {
      auth = psk
      id = side$peer@example.test
    }
    children {
      net {
        local_ts = ${NET[$i]}/32
        remote_ts = ${NET[$peer]}/32
        esp_proposals = aes256gcm16-x25519
        rekey_time = 0
        life_time = 0
        start_action = none
      }
    }
  }
}
secrets {
  ike-pair {
    id-1 = side0@example.test
    id-2 = side1@example.test
    secret = "strongSwan pair rekey benchmark"
  }
}
EOC
  ip netns exec "${NS[$i]}" env STRONGSWAN_CONF="$RIG/side$i/strongswan.conf" \
    /usr/sbin/charon-systemd >"$RIG/side$i/stdout" 2>&1 &
  PIDS+=($!)
done

swan() {
  local i=$1
  shift
  swanctl "$@" --uri "unix://$RIG/side$i/charon.vici" 2>/dev/null
}
for i in 0 1; do
  for _ in $(seq 150); do
    swan "$i" --stats >/dev/null && break
    sleep 0.02
  done
  swan "$i" --load-all --file "$RIG/side$i/swanctl.conf" >/dev/null || {
    echo "side $i: swanctl --load-all failed" >&2
    exit 1
  }
done
swan 0 --initiate --child net --timeout 10 >/dev/null || { echo "initiate failed" >&2; exit 1; }
python3 "$here/swan_rekey.py" "$RIG/side0/charon.vici" "$RIG/side1/charon.vici" "$REKEYS"
