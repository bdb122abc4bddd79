# Sourced by scripts that run strongSwan 5.9.8 (charon-systemd with kernel-libipsec) in a
# network namespace. Each charon has a folder of its own, <dir>: strongswan.conf, swanctl.conf,
# charon.log, its vici socket charon.vici and its stdout.
#   swan_charon_conf <dir> <plugins> <settings lines> <log level lines>
#                    writes <dir>/strongswan.conf: only <plugins> loaded, the log to
#                    <dir>/charon.log, none to the journal, vici on <dir>/charon.vici
#   swan_swanctl_conf <dir> <addr> <peer addr> <id> <peer id> <ts> <peer ts> [<extra conn
#                     lines>] [<extra child lines>]
#                    writes <dir>/swanctl.conf: IKEv2 connection "peer" with child "net"
#                    (start_action none) and the pre-shared key SWAN_PSK for both ids; proposals
#                    SWAN_IKE / SWAN_ESP; SWAN_LOCAL / SWAN_REMOTE (auth blocks) replace the PSK
#                    authentication when set
#   swan_launch <netns> <dir>       charon-systemd in the background, its PID in SWAN_PID
#   swan_load <dir>                 waits until charon answers on vici, loads swanctl.conf and
#                                   checks that connection "peer" is there; on failure says why
#                                   on stderr and returns 1
#   swan_at <dir> <swanctl args...> swanctl on that charon's vici socket
SWAN_IKE=${SWAN_IKE:-aes256gcm16-prfsha256-x25519}
SWAN_ESP=${SWAN_ESP:-aes256gcm16}
SWAN_PSK=${SWAN_PSK:-nicsec strongSwan test key}
SWAN_PID=""

swan_charon_conf() {
  local dir=$1 plugins=$2 settings=$3 log_levels=$4
  cat >"$dir/strongswan.conf" <<EOF
charon-systemd {
  load_modular = no
  load = $plugins
  $settings
  filelog {
    log {
      path = $dir/charon.log
      $log_levels
    }
  }
  journal {
    default = -1
  }
  plugins {
    vici {
      socket = unix://$dir/charon.vici
    }
  }
}
EOF
}

swan_swanctl_conf() {
  local dir=$1 addr=$2 peer_addr=$3 id=$4 peer_id=$5 ts=$6 peer_ts=$7
  local extra_conn=${8:-} extra_child=${9:-}
  local auth="auth = psk
      id = $id" peer_auth="auth = psk
      id = $peer_id"
  cat >"$dir/swanctl.conf" <<EOF
connections {
  peer {
    version = 2
    local_addrs = $addr
    remote_addrs = $peer_addr
    proposals = $SWAN_IKE
    $extra_conn
    local {
      ${SWAN_LOCAL:-$auth}
    }
    remote {
      ${SWAN_REMOTE:-$peer_auth}
    }
    children {
      net {
        local_ts = $ts/32
        remote_ts = $peer_ts/32
        esp_proposals = $SWAN_ESP
        start_action = none
        $extra_child
      }
    }
  }
}
secrets {
  ike-peer {
    id-1 = $id
    id-2 = $peer_id
    secret = "$SWAN_PSK"
  }
}
EOF
}

swan_launch() {
  local ns=$1 dir=$2
  ip netns exec "$ns" env STRONGSWAN_CONF="$dir/strongswan.conf" \
    /usr/sbin/charon-systemd >"$dir/stdout" 2>&1 &
  SWAN_PID=$!
}

swan_at() {
  local dir=$1
  shift
  swanctl "$@" --uri "unix://$dir/charon.vici"
}

swan_load() {
  local dir=$1
  for _ in $(seq 100); do
    [ -S "$dir/charon.vici" ] && break
    sleep 0.02
  done
  # The vici socket exists a moment before charon accepts on it.
  for _ in $(seq 50); do
    swan_at "$dir" --stats >/dev/null 2>&1 && break
    sleep 0.02
  done
  if ! swan_at "$dir" --load-all --file "$dir/swanctl.conf" >"$dir/load.out" 2>&1; then
    echo "swanctl --load-all in $dir: $(cat "$dir/load.out")" >&2
    return 1
  fi
  grep -q "loaded connection 'peer'" "$dir/load.out" && return 0
  echo "strongSwan did not load the connection: $(cat "$dir/load.out")" >&2
  return 1
}
