# Sourced (after require.sh) by tests that move a TCP stream across a tunnel between two network
# namespaces and compare its SHA-256 on both ends (tests/e2e/soft_xfer.py).
#   ns_transfer <sender ns> <receiver ns> <receiver addr> <port> <megabytes>
#       files in $RIG; prints size, time, rate and the digest; fails (exit 1) on any mismatch
ns_transfer() {
  local from=$1 to=$2 addr=$3 port=$4 mb=$5 ready=$RIG/xfer-$4.ready recv_pid sent received t0 t1
  local xfer=${NICSEC_SOURCE_DIR:?}/tests/e2e/soft_xfer.py
  rm -f "$ready"
  ip netns exec "$to" python3 "$xfer" recv "$addr" "$port" "$ready" >"$RIG/recv-$port.out" 2>&1 &
  recv_pid=$!
  for _ in $(seq 100); do
    [ -e "$ready" ] && break
    sleep 0.02
  done
  [ -e "$ready" ] || fail "the receiver did not start listening"
  t0=$(date +%s%3N)
  sent=$(ip netns exec "$from" python3 "$xfer" send "$addr" "$port" "$mb") ||
    fail "sender failed: $sent"
  wait "$recv_pid" || fail "receiver failed: $(cat "$RIG/recv-$port.out")"
  t1=$(date +%s%3N)
  received=$(cat "$RIG/recv-$port.out")
  [ "$sent" = "$received" ] || fail "sent '$sent' but received '$received'"
  echo "   $mb MB in $((t1 - t0)) ms ($((mb * 8000 / (t1 - t0 + 1))) Mbit/s)," \
    "sha256 ${sent#* } on both ends"
}
