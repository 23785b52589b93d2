#!/usr/bin/env bash
# The dependency guard's own test: scripts/depcheck passes on this build and fails, naming the
# package and the file, when a package the build or the tests need is missing from the install
# scripts' lists, when an exec log names a program no package owns, and when a listed program is
# not on PATH. Failed exec attempts (a PATH search) must not count.
#   tests/depcheck/depcheck_test.sh BUILD_DIR
set -uo pipefail
build=${1:?usage: $0 BUILD_DIR}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
guard=$repo/scripts/depcheck
work=$(mktemp -d /var/tmp/pa-depcheck-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0

# expect NAME STATUS PATTERN... -- ARGS: runs the guard with ARGS; its status must be STATUS and
# its output must match every PATTERN (extended regex).
expect() {
  local name=$1 want=$2
  shift 2
  local patterns=()
  while [ "$1" != -- ]; do patterns+=("$1"); shift; done
  shift
  local out rc=0
  out=$("$guard" "$@" 2>&1) || rc=$?
  local ok=1
  [ "$rc" -eq "$want" ] || ok=0
  for p in "${patterns[@]}"; do grep -qE -- "$p" <<<"$out" || ok=0; done
  if [ "$ok" -eq 1 ]; then
    echo "ok: $name"
  else
    echo "FAILED: $name (exit $rc, wanted $want; patterns: ${patterns[*]})"
    sed 's/^/    /' <<<"$out"
    failures=$((failures + 1))
  fi
}

# An exec log as `strace -f -e trace=execve` writes it: nmap started, an exec that failed (of a
# file no package owns: it must not count), and a program of the test's own under /tmp.
mkdir -p "$work/bin"
printf '#!/bin/sh\n' >"$work/bin/handmade"
chmod +x "$work/bin/handmade"
nmap=$(command -v nmap) || { echo "FAILED: nmap not on PATH (scripts/setup installs it)"; exit 1; }
cat >"$work/exec.log" <<LOG
101 execve("$nmap", ["nmap", "-sT"], 0x7ffd /* 20 vars */) = 0
102 execve("$work/bin/handmade", ["handmade"], 0x7ffd /* 20 vars */) = -1 EACCES (Permission denied)
103 execve("/tmp/pa-scratch/helper", ["helper"], 0x7ffd /* 20 vars */) = 0
LOG
cp "$work/exec.log" "$work/handmade.log"
echo "104 execve(\"$work/bin/handmade\", [\"handmade\"], 0x7ffd /* 20 vars */) = 0" >>"$work/handmade.log"
printf 'awk\nnmap\n' >"$work/programs.txt"
printf 'awk\nportatlas-no-such-program\n' >"$work/missing-program.txt"

expect "the build and the tests' programs pass with the real lists" 0 \
  'checked, 0 problem' -- --build-dir "$build" --exec-log "$work/exec.log" \
  --programs "$work/programs.txt"
expect "a header and CMake package of a dropped library fail the build" 1 \
  'package libspdlog-dev is needed' '/usr/include/spdlog/[a-z_/]*\.h' -- \
  --build-dir "$build" --drop libspdlog-dev
expect "a library the build links fails when its -dev package is dropped" 1 \
  'package libpcre2-dev is needed' 'pcre2\.h' 'libpcre2-8\.so' -- \
  --build-dir "$build" --drop libpcre2-dev
expect "a program the tests ran fails when its package is dropped" 1 \
  'package nmap is needed' "$nmap" -- --exec-log "$work/exec.log" --drop nmap
expect "a listed benchmark program fails when its package is dropped" 1 \
  'package nmap is needed' -- --programs "$work/programs.txt" --drop nmap
expect "a program no package owns fails" 1 \
  "no Debian package owns $work/bin/handmade" -- --exec-log "$work/handmade.log"
expect "a listed program that is not on PATH fails" 1 \
  'portatlas-no-such-program' -- --programs "$work/missing-program.txt"
expect "dropping a package the lists do not name is a usage error" 2 \
  'do not name' -- --exec-log "$work/exec.log" --drop portatlas-no-such-package

if [ "$failures" -eq 0 ]; then
  echo "depcheck_test: all passed"
else
  echo "depcheck_test: $failures failed"
  exit 1
fi
