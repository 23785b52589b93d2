# The frame of the scripts that use the testbed (acceptance tests and benchmarks): a work
# directory, the testbed brought up when none is up (and down again at exit if it was), its
# addresses, and the check/tally of the acceptance tests. Source it, then call harness_start.
#
#   harness_start NAME N_HOSTS SETUP_FAIL_STATUS
#     refuses to run unless root; sets $work (removed at exit), brings N_HOSTS up when no
#     testbed is up (exit SETUP_FAIL_STATUS with its log if that fails) and sources testbed.env
#     (PA_TB_*). Leaves $harness_name for check().
#   check TITLE PROBLEMS   passes when PROBLEMS is empty; counts into $passed and $failed
#   harness_tally          prints "NAME: N passed, M failed"; true when none failed

harness_dir="$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)"
passed=0
failed=0
harness_brought_up=0

harness_cleanup() {
  [ -n "${work:-}" ] && rm -rf "$work"
  if [ "$harness_brought_up" = 1 ]; then "$harness_dir/testbed.sh" down >/dev/null 2>&1 || true; fi
  # A script's own clean-up runs first (harness_on_exit, if it defines one).
  return 0
}

harness_start() {
  harness_name="$1"
  local hosts="$2" fail_status="$3"
  local state="${PA_TESTBED_DIR:-/run/portatlas-testbed}"
  [ "$(id -u)" -eq 0 ] || { echo "$harness_name: run as root" >&2; exit "$fail_status"; }
  work="$(mktemp -d)"
  trap 'declare -F harness_on_exit >/dev/null && harness_on_exit; harness_cleanup' EXIT
  if [ ! -f "$state/testbed.env" ]; then
    "$harness_dir/testbed.sh" up "$hosts" >"$work/up.log" 2>&1 || {
      cat "$work/up.log"
      exit "$fail_status"
    }
    harness_brought_up=1
  fi
  # shellcheck disable=SC1091
  . "$state/testbed.env"
}

check() {
  if [ -z "$2" ]; then
    printf '%s: ok    %s\n' "$harness_name" "$1"
    passed=$((passed + 1))
  else
    printf '%s: FAIL  %s\n' "$harness_name" "$1"
    while IFS= read -r line; do printf '    %s\n' "$line"; done <<<"$2"
    failed=$((failed + 1))
  fi
}

harness_tally() {
  echo "$harness_name: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}
