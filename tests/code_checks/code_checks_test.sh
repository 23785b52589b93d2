#!/usr/bin/env bash
# The code checks' own test: a tree with a function of 88 lines and a throw must fail, naming
# both; the same in a test file, or a throw in a comment, must pass.
set -euo pipefail
checks=${1:?usage: code_checks_test.sh scripts/code-checks}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bad/x" "$work/good/x"
{
  echo 'int Short() { return 1; }'
  echo 'int Long() {'
  for i in $(seq 1 85); do echo "  int v$i = $i;"; done
  echo '  return 0;'
  echo '}'
  echo 'void Bad() { throw 1; }'
} >"$work/bad/x/a.cc"
{
  echo 'void T() {'
  for i in $(seq 1 90); do echo "  f($i);"; done
  echo '}'
  echo 'void U() { throw 2; }'
} >"$work/good/x/a_test.cc"
{
  echo '// our code does not throw'
  echo 'int Fine() { return 0; }'
} >"$work/good/x/b.cc"

fail=0
if out=$("$checks" "$work/bad" 2>&1); then
  echo "FAILED: a long function and a throw passed"; fail=1
fi
grep -q 'a.cc:2: function Long is 88 lines' <<<"$out" || { echo "FAILED: no long function in: $out"; fail=1; }
grep -q 'a.cc:90: a throw statement' <<<"$out" || { echo "FAILED: no throw in: $out"; fail=1; }
if ! out=$("$checks" "$work/good" 2>&1); then
  echo "FAILED: tests and comments were flagged: $out"; fail=1
fi
[ "$fail" -eq 0 ] && echo "code_checks_test: ok"
exit "$fail"
