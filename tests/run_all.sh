#!/usr/bin/env bash
# Runs every test label in the normal build, then the unit and fuzz labels in the sanitizer
# build, and prints one closing line with the totals of both runs.
#   usage: tests/run_all.sh <build-dir> <sanitizer-build-dir>
set -uo pipefail
build=${1:-build}
san_build=${2:-build-san}
jobs=$(nproc)
total_passed=0 total_failed=0 total_skipped=0 status=0

# ctest's summary: "NN% tests passed, F tests failed out of T"; skipped tests are listed as
# "(Skipped)" and count as neither.
tally() {
  local log=$1 line failed total skipped
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1)
  if [ -z "$line" ]; then
    echo "run_all: no ctest summary in $log" >&2
    status=1
    return
  fi
  failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
  skipped=$(grep -c '(Skipped)' "$log" || true)
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
  total_passed=$((total_passed + total - failed - skipped))
}

run_ctest() {
  local title=$1 dir=$2
  shift 2
  local log="$dir/ctest-$title.log"
  echo "=== $title ($dir) ==="
  (cd "$dir" && ctest --output-on-failure "$@") 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  tally "$log"
}

run_ctest all-labels "$build" -j "$jobs"
run_ctest sanitizers "$san_build" -j "$jobs" -L '^(unit|fuzz)$'

echo "=== totals: normal build (all labels) + ASan/UBSan build (unit, fuzz) ==="
echo "nicsec: $total_passed passed, $total_failed failed, $total_skipped skipped"
exit $status
