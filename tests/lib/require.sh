# Sourced by e2e/interop test scripts. Each check exits 77 (ctest: skipped) with a sentence
# saying what is missing, so a developer without root sees why a test did not run; fail exits 1
# with a sentence saying what went wrong.
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

skip() {
  echo "SKIPPED: $*" >&2
  exit 77
}

require_root() {
  [ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, TUN devices); CI runs as root"
}

require_netns() {
  require_root
  local probe="nicsec-probe-$$"
  ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces here (ip netns add failed)"
  ip netns del "$probe"
}

require_command() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 || skip "needs '$cmd' (installed by .ci/setup)"
  done
}
