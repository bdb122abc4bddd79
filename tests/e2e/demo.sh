#!/usr/bin/env bash
# make demo: runs the most complete end-to-end path that exists today (see README).
set -euo pipefail
build=${1:-build}
echo "nicsec demo: nothing yet"
