#!/usr/bin/env bash
# Runs one SDK client-compatibility test (a node:test file) against a portatlas binary. This is the
# body of every tests/sdk/<vendor>/run.sh: the vendor's script sets its SDK's own environment, then
#   exec tests/sdk/common/run_node_test.sh SDK_DIR TEST_FILE /path/to/portatlas [WORK_DIR]
# SDK_DIR holds TEST_FILE, package.json and package-lock.json. Installs those pinned npm packages
# (`npm ci`) into WORK_DIR (default: $PORTATLAS_SDK_WORK_DIR, else a temp dir), never into the
# source tree. Needs node >= 18 and npm (Debian: apt-get install nodejs npm) and access to the npm
# registry unless WORK_DIR already holds a matching node_modules.
#
# WORK_DIR is laid out like tests/sdk/: the test goes to WORK_DIR/<vendor>/ and the shared modules
# of common/ to WORK_DIR/common/, so the test's require('../common/harness') resolves there as it
# does in the source tree, and node finds WORK_DIR/node_modules from both.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 SDK_DIR TEST_FILE /path/to/portatlas [WORK_DIR]" >&2
  exit 2
fi
sdk=$(cd "$1" && pwd)
test_file=$2
shift 2
vendor=$(basename "$sdk")
prog="$sdk/run.sh"
common=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $prog /path/to/portatlas [WORK_DIR]" >&2
  exit 2
fi
bin=$(realpath -e "$1")
work=${2:-${PORTATLAS_SDK_WORK_DIR:-}}
if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/portatlas-sdk-$vendor.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
work=$(realpath "$work")

# Exit 77 (CTest SKIP_RETURN_CODE: reported as "Skipped", not "Passed") without node >= 18 / npm.
# Checked with node 20.20 (nodesource) and Debian 12's own node 18.20.4.
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "$prog: SKIP: $tool not found (Debian: apt-get install nodejs npm)" >&2; exit 77; }
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
if (( node_major < 18 )); then
  echo "$prog: SKIP: node >= 18 is needed (node:test), found $(node --version)" >&2
  exit 77
fi

# `npm ci` of the pinned packages; skipped when this work dir already holds an install of exactly
# this package.json + lock (the stamp is written only after npm ci succeeded).
stamp="$work/.installed-from"
if ! { [[ -f $stamp ]] && cat "$sdk/package.json" "$sdk/package-lock.json" | cmp -s - "$stamp"; }; then
  rm -rf "$work/node_modules" "$stamp"
  cp "$sdk/package.json" "$sdk/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --no-update-notifier --loglevel=error \
     --cache "$work/.npm-cache" --logs-dir "$work/npm-logs")
  cat "$sdk/package.json" "$sdk/package-lock.json" > "$stamp"
fi
mkdir -p "$work/common" "$work/$vendor"
cp "$common"/*.js "$work/common/"
cp "$sdk/$test_file" "$work/$vendor/"

# SDKs read and write files under ~ (each run.sh says which): keep HOME, and the temp files the
# test makes, inside the work dir. No proxy: everything listens on and talks to 127.0.0.1 only.
mkdir -p "$work/home" "$work/tmp"
cd "$work"
export HOME="$work/home" TMPDIR="$work/tmp" PORTATLAS_BIN="$bin"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
node --test "$vendor/$test_file"
