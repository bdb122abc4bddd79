#!/usr/bin/env bash
# Runs every benchmark and prints their summary lines together at the end.
#   usage: bench/run_all.sh <build-dir>
set -uo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
summary=() status=0

run_one() {
  local name=$1
  shift
  echo "=== $name ==="
  local out
  out=$("$@" 2>&1)
  local rc=$?
  echo "$out"
  if [ $rc -eq 77 ]; then
    summary+=("$name: SKIPPED ($(grep -m1 '^SKIPPED' <<<"$out" | cut -c10-))")
  elif [ $rc -ne 0 ]; then
    summary+=("$name: FAILED (exit $rc)")
    status=1
  else
    summary+=("$(tail -n1 <<<"$out")")
  fi
}

while IFS= read -r exe; do
  run_one "${exe##*/}" "$exe"
done < <(find "$build/bench" -maxdepth 1 -type f -executable -name 'bench_*' | sort)
for script in "$here"/*/run.sh; do
  [ -f "$script" ] || continue
  run_one "$(basename "$(dirname "$script")")" bash "$script" "$build"
done

echo "=== summary ==="
printf '%s\n' "${summary[@]}"
exit $status
