#!/usr/bin/env bash
# Child SA rekey benchmark (bench/run_all.sh runs it with the build directory).
#   usage: bench/rekey/run.sh <build-dir>     (NICSEC_BENCH_REKEYS: loss run size, default 10000)
#
# nicsecd: rekey_loop, two nicsecd engines in one process exchanging IKE over real UDP sockets
# on the loopback, Child SAs on two soft HAL devices (OpenSSL ESP), rekeys back to back through
# the engines' operator entry point (nd_engine_rekey_child, what a control verb would call),
# alternating initiator, PFS with X25519:
#   1. rate: 2,000 rekeys without traffic;
#   2. loss: NICSEC_BENCH_REKEYS rekeys with sequence-numbered packets both ways after every IKE
#      event, each in flight for 3 events; exit 1 on any lost packet or leaked SA.
# Anchor: two strongSwan 5.9.8 daemons (charon-systemd, kernel-libipsec) in two namespaces
# joined by a veth pair, rekeyed back to back over vici (swan_rekey.py), same proposals and
# alternation. Skipped (anchor=n/a) without root or strongSwan.
# Last line: rekey: rekeys_per_s=... engine_cpu_us_per_rekey=... lost=L/packets rekeys=N
#            anchor=<strongSwan rekeys/s> ratio=<nicsecd/strongSwan>
set -uo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
loop=$build/bench/rekey_loop
[ -x "$loop" ] || { echo "rekey: rekey_loop not built in $build" >&2; exit 1; }
REKEYS=${NICSEC_BENCH_REKEYS:-10000}
SWAN_REKEYS=${NICSEC_BENCH_SWAN_REKEYS:-1000}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

echo "== nicsecd pair, rate (no traffic)"
rate_out=$("$loop" --rekeys 2000 --burst 0) || { echo "$rate_out"; exit 1; }
echo "$rate_out"
rate_line=$(tail -n1 <<<"$rate_out")
echo "== nicsecd pair, $REKEYS rekeys under constant traffic"
loss_out=$("$loop" --rekeys "$REKEYS")
loss_status=$?
echo "$loss_out"
loss_line=$(tail -n1 <<<"$loss_out")

anchor=n/a
ratio=n/a
swan_pair() {
  [ "$(id -u)" -eq 0 ] && [ -x /usr/sbin/charon-systemd ] && command -v swanctl >/dev/null ||
    { echo "   strongSwan anchor skipped: needs root and charon-systemd" >&2; return 1; }
  bash "$here/swan_pair.sh" "$SWAN_REKEYS"
}
echo "== strongSwan pair (anchor), $SWAN_REKEYS rekeys"
if swan_out=$(swan_pair); then
  echo "$swan_out"
  anchor=$(field rekeys_per_s "$(tail -n1 <<<"$swan_out")")
  ratio=$(python3 -c "print('%.2f' % ($(field rekeys_per_s "$rate_line") / $anchor))")
else
  echo "$swan_out"
fi
packets=$(field packets "$loss_line")
lost=$(field lost "$loss_line")
echo "rekey: rekeys_per_s=$(field rekeys_per_s "$rate_line")" \
  "engine_cpu_us_per_rekey=$(field engine_cpu_us_per_rekey "$rate_line") pfs=x25519" \
  "lost=${lost:-?}/${packets:-?} rekeys=$REKEYS anchor=$anchor ratio=$ratio"
exit "$loss_status"
