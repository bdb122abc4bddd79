#!/usr/bin/env bash
# IKE setup rate: IKE_SA_INIT + IKE_AUTH (PSK, X25519, AES-GCM-256) + one Child SA per second,
# nicsecd as responder, then strongSwan 5.9.8 (charon-systemd, kernel-libipsec) as responder
# under the same load, each in its own network namespace (tests/interop/rig.sh), the load
# generator (ikeload) in the other. Responder pinned to CPU 1, ikeload to CPU 0.
#   1. peak: PEAK_COUNT handshakes, PEAK_WINDOW in flight, as fast as they complete
#   2. latency: handshakes paced at 80% of that peak: p50 / p99 setup latency, over LAT_COUNT
#      handshakes or LAT_SECONDS of that rate, whichever is more (so p99 is not the start-up)
#   3. memory: responder RSS after run 1 minus before, divided by the SAs it established;
#      "before" is read after WARMUP_COUNT handshakes, so what the first handshakes touch once
#      (library code pages, tables sized at start) is not charged to the SAs: the figure is
#      the marginal cost of one more IKE SA + Child SA
# Every SA stays established (nothing is deleted), so run 3 is per IKE SA + Child SA.
# Each handshake is its own peer: IDi p<N>@left.example.test (run 1), r<N>@left.example.test
# (run 2), one PSK for all of them, as a gateway with many remote peers sees it (one identity
# for all would make each new SA a reauthentication of the previous one to the responder).
# The responders accept any identity: nicsecd with remote id %any and an ID-less secret,
# strongSwan with remote id *@left.example.test and an ID-less secret.
#   usage: bench/ike/run.sh <build-dir>
# NICSEC_ONLY=1 skips strongSwan; PERF_OUT=<file> records the responder's profile (perf record
# -g) during run 2.
# The rate per core is handshakes per second of responder CPU time (utime + stime of all its
# threads during run 1); the wall-clock rates are printed too.
# Last line: ike_setup: nicsecd_per_cpu_s=... strongswan_per_cpu_s=... ...
#            anchor=<strongswan_per_cpu_s> ratio=<nicsecd_per_cpu_s / strongswan_per_cpu_s>
set -uo pipefail
BUILD=$(cd "${1:?usage: run.sh <build-dir>}" && pwd)
export NICSEC_SOURCE_DIR=${NICSEC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export NICSEC_BUILD_DIR=$BUILD
source "$NICSEC_SOURCE_DIR/tests/interop/rig.sh"
rig_requirements
IKELOAD=$BUILD/bench/ikeload
[ -x "$IKELOAD" ] || skip "ikeload not built in $BUILD"
PEAK_COUNT=${PEAK_COUNT:-4000}
PEAK_WINDOW=${PEAK_WINDOW:-128}
LAT_COUNT=${LAT_COUNT:-10000}
LAT_SECONDS=${LAT_SECONDS:-3}
WARMUP_COUNT=${WARMUP_COUNT:-256}
RESPONDER_PID=""

rig_start
BENCH_PSK="nicsec bench pre-shared key"

rss_kb() {
  awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

# Nanoseconds the process's main thread ran, and waited runnable for a CPU (/proc schedstat):
# the wait shows another process on the responder's CPU, which no daemon can make up for.
sched_ns() {
  cat "/proc/$1/schedstat"
}

# utime + stime of the process (all threads), in clock ticks.
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}
TICKS_PER_S=$(getconf CLK_TCK)

# ikeload in the left namespace on CPU 0; prints its last two lines (phases, summary).
load() {
  ip netns exec "$LEFT_NS" taskset -c 0 "$IKELOAD" --target 192.0.2.2 --psk "$BENCH_PSK" --natt "$@" |
    tail -n2
}

field() { # field <name> <summary line>
  sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"
}

# measure <label> <pid>: the three runs against the responder with that pid.
measure() {
  local label=$1 pid=$2 before after peak rate lat cpu0 cpu1
  sleep 0.5
  load --count "$WARMUP_COUNT" --concurrency "$PEAK_WINDOW" --timeout-ms 2000 \
    --id "w%u@left.example.test" >/dev/null
  before=$(rss_kb "$pid")
  cpu0=$(cpu_ticks "$pid")
  peak=$(load --count "$PEAK_COUNT" --concurrency "$PEAK_WINDOW" --timeout-ms 2000 \
    --id "p%u@left.example.test")
  cpu1=$(cpu_ticks "$pid")
  after=$(rss_kb "$pid")
  echo "$label peak phases: $(head -n1 <<<"$peak")"
  peak=$(tail -n1 <<<"$peak")
  echo "$label peak:    $peak"
  echo "$label CPU:     $(((cpu1 - cpu0) * 1000 / TICKS_PER_S)) ms of responder CPU"
  rate=$(field rate "$peak")
  local lat_rate lat_count
  lat_rate=$(awk -v r="$rate" 'BEGIN{printf "%.0f", r*0.8}')
  lat_count=$(awk -v r="$lat_rate" -v n="$LAT_COUNT" -v s="$LAT_SECONDS" \
    'BEGIN{printf "%.0f", (r*s > n ? r*s : n)}')
  local perf_pid="" sched0 sched1
  sched0=$(sched_ns "$pid")
  if [ -n "${PERF_OUT:-}" ]; then
    perf record -q -g -p "$pid" -o "$PERF_OUT.$label" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  lat=$(load --count "$lat_count" --concurrency 1024 --rate "$lat_rate" --timeout-ms 2000 \
    --id "r%u@left.example.test")
  sched1=$(sched_ns "$pid")
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" && wait "$perf_pid"
  fi
  echo "$label 80% CPU:   $(awk -v a="$sched0" -v b="$sched1" 'BEGIN{split(a,x," "); split(b,y," ");
    printf "ran %.0f ms, waited %.0f ms for a CPU (main thread)", (y[1]-x[1])/1e6, (y[2]-x[2])/1e6}')"
  echo "$label 80% phases:  $(head -n1 <<<"$lat")"
  lat=$(tail -n1 <<<"$lat")
  echo "$label at 80%:  $lat"
  local completed
  completed=$(field completed "$peak")
  # Handshakes per second of responder CPU: robust against other load on the machine, which
  # slows the wall clock of both responders alike only when they run at the same moment.
  eval "${label}_PER_CPU=$(awk -v n="$completed" -v t="$((cpu1 - cpu0))" -v hz="$TICKS_PER_S" \
    'BEGIN{printf "%.0f", t ? n*hz/t : 0}')"
  eval "${label}_RATE=$rate"
  eval "${label}_P50=$(field p50_ms "$lat") ${label}_P99=$(field p99_ms "$lat")"
  eval "${label}_RETX=$(($(field retransmits "$peak") + $(field retransmits "$lat")))"
  eval "${label}_BYTES=$(awk -v a="$after" -v b="$before" -v n="$completed" \
    'BEGIN{printf "%.0f", n ? (a-b)*1024/n : 0}')"
  echo "$label RSS: ${before} kB -> ${after} kB after $completed SAs"
}

# charon-systemd with thousands of SAs has been seen to ignore SIGTERM for minutes: 10 s, then
# SIGKILL, so the bench always ends.
stop_responder() {
  [ -n "$RESPONDER_PID" ] || return 0
  kill "$RESPONDER_PID" 2>/dev/null
  for _ in $(seq 100); do
    kill -0 "$RESPONDER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$RESPONDER_PID" 2>/dev/null
  wait "$RESPONDER_PID" 2>/dev/null
  RESPONDER_PID=""
}
trap 'stop_responder; rig_cleanup' EXIT

# ---- nicsecd ------------------------------------------------------------------------------------
cat >"$RIG/right/nicsecd.yaml" <<EOF
daemon:
  half_open_threshold: 100000
hal:
  backend: soft
  args: "max_sa=65536"
connections:
  - name: bench
    local_addr: 192.0.2.2
    remote_addr: 192.0.2.1
    proposals: [aes256gcm16-prfsha256-x25519]
    local: { id: right@example.test }
    remote: { id: "%any" }
    children:
      - name: net
        local_ts: [203.0.113.1/32]
        remote_ts: [198.51.100.1/32]
        esp_proposals: [aes256gcm16]
secrets:
  - secret: "$BENCH_PSK"
EOF
ip netns exec "$RIGHT_NS" taskset -c 1 "$NICSECD" -c "$RIG/right/nicsecd.yaml" \
  -s "$RIG/right/ctl.sock" -l warn -L "$RIG/right/nicsecd.log" &
RESPONDER_PID=$!
wait_for_socket "$RIG/right/ctl.sock" "nicsecd"
measure NICSEC "$RESPONDER_PID"
"$NICSECCTL" -s "$RIG/right/ctl.sock" stats | grep -E "^(rx|tx|retransmits|dropped|ike_sas)" |
  tr '\n' ' '
echo
stop_responder
if [ -n "${NICSEC_ONLY:-}" ]; then
  echo "ike_setup: nicsecd_per_cpu_s=$NICSEC_PER_CPU nicsecd_per_s=$NICSEC_RATE" \
    "nicsecd_p50_ms=$NICSEC_P50 nicsecd_p99_ms=$NICSEC_P99 nicsecd_bytes_per_sa=$NICSEC_BYTES" \
    "nicsecd_retransmits=$NICSEC_RETX (strongSwan skipped: NICSEC_ONLY)"
  exit 0
fi

# ---- strongSwan ---------------------------------------------------------------------------------
cat >"$RIG/right/strongswan.conf" <<EOF
charon-systemd {
  load_modular = no
  load = random nonce openssl pem pkcs1 x509 pubkey aes sha2 hmac gcm kdf kernel-libipsec kernel-netlink socket-default vici
  # no DoS throttling: the same load nicsecd gets (its half_open_threshold is raised too)
  cookie_threshold = 1000000
  block_threshold = 1000000
  init_limit_half_open = 0
  install_routes = no
  journal {
    default = -1
  }
  filelog {
    log {
      path = $RIG/right/charon.log
      default = ${SWAN_LOG_LEVEL:-0}
    }
  }
  plugins {
    vici {
      socket = unix://$RIG/right/charon.vici
    }
  }
}
EOF
cat >"$RIG/right/swanctl.conf" <<EOF
connections {
  bench {
    version = 2
    local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    proposals = aes256gcm16-prfsha256-x25519
    unique = never
    # kernel-libipsec (userspace ESP) only does ESP in UDP
    encap = yes
    local {
      auth = psk
      id = right@example.test
    }
    remote {
      auth = psk
      id = *@left.example.test
    }
    children {
      net {
        local_ts = 203.0.113.1/32
        remote_ts = 198.51.100.1/32
        esp_proposals = aes256gcm16
      }
    }
  }
}
secrets {
  ike-bench {
    secret = "$BENCH_PSK"
  }
}
EOF
ip netns exec "$RIGHT_NS" env STRONGSWAN_CONF="$RIG/right/strongswan.conf" taskset -c 1 \
  /usr/sbin/charon-systemd >"$RIG/right/charon.stdout" 2>&1 &
RESPONDER_PID=$!
wait_for_socket "$RIG/right/charon.vici" "charon-systemd"
for _ in $(seq 50); do
  swanctl --stats --uri "unix://$RIG/right/charon.vici" >/dev/null 2>&1 && break
  sleep 0.05
done
swanctl --load-all --file "$RIG/right/swanctl.conf" --uri "unix://$RIG/right/charon.vici" \
  >"$RIG/right/load.out" 2>&1 || rig_fail "swanctl --load-all: $(cat "$RIG/right/load.out")"
measure SWAN "$RESPONDER_PID"
stop_responder

ratio=$(awk -v a="$NICSEC_PER_CPU" -v b="$SWAN_PER_CPU" 'BEGIN{printf "%.2f", b ? a/b : 0}')
wall_ratio=$(awk -v a="$NICSEC_RATE" -v b="$SWAN_RATE" 'BEGIN{printf "%.2f", b ? a/b : 0}')
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores; other work slows the wall-clock rates)"
echo "targets: ratio >= 3, p99 < 50 ms at 80% of peak, <= 4096 octets per IKE+Child SA, 0 retransmits"
echo "ike_setup: nicsecd_per_cpu_s=$NICSEC_PER_CPU strongswan_per_cpu_s=$SWAN_PER_CPU" \
  "nicsecd_per_s=$NICSEC_RATE strongswan_per_s=$SWAN_RATE wall_ratio=$wall_ratio" \
  "nicsecd_p50_ms=$NICSEC_P50 nicsecd_p99_ms=$NICSEC_P99 strongswan_p50_ms=$SWAN_P50" \
  "strongswan_p99_ms=$SWAN_P99 nicsecd_bytes_per_sa=$NICSEC_BYTES strongswan_bytes_per_sa=$SWAN_BYTES" \
  "nicsecd_retransmits=$NICSEC_RETX strongswan_retransmits=$SWAN_RETX anchor=$SWAN_PER_CPU ratio=$ratio"
