#!/usr/bin/env bash
# Runs the Alibaba Cloud client-compatibility test (avds_sdk.test.js) against a portatlas binary.
#   tests/sdk/aliyun/run.sh /path/to/portatlas [WORK_DIR]
# Installs the pinned npm packages (package.json + package-lock.json, `npm ci`) into WORK_DIR
# (default: $PORTATLAS_SDK_WORK_DIR, else a temp dir), never into the source tree. Needs node >= 18
# and npm (Debian: apt-get install nodejs npm) and access to the npm registry unless WORK_DIR
# already holds a matching node_modules.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 /path/to/portatlas [WORK_DIR]" >&2
  exit 2
fi
bin=$(realpath -e "$1")
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=${2:-${PORTATLAS_SDK_WORK_DIR:-}}
if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/portatlas-sdk-aliyun.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
work=$(realpath "$work")

# Exit 77 (CTest SKIP_RETURN_CODE: reported as "Skipped", not "Passed") without node >= 18 / npm.
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "$0: SKIP: $tool not found (Debian: apt-get install nodejs npm)" >&2; exit 77; }
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
if (( node_major < 18 )); then
  echo "$0: SKIP: node >= 18 is needed (node:test), found $(node --version)" >&2
  exit 77
fi

# `npm ci` of the pinned packages; skipped when this work dir already holds an install of exactly
# this package.json + lock (the stamp is written only after npm ci succeeded).
stamp="$work/.installed-from"
if ! { [[ -f $stamp ]] && cat "$src/package.json" "$src/package-lock.json" | cmp -s - "$stamp"; }; then
  rm -rf "$work/node_modules" "$stamp"
  cp "$src/package.json" "$src/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --no-update-notifier --loglevel=error \
     --cache "$work/.npm-cache" --logs-dir "$work/npm-logs")
  cat "$src/package.json" "$src/package-lock.json" > "$stamp"
fi
cp "$src/avds_sdk.test.js" "$work/"

# @alicloud/credentials reads ~/.alibabacloud/credentials and ALIBABA_CLOUD_* variables when no
# key is given: keep HOME inside the work dir and the environment free of real credentials.
mkdir -p "$work/home" "$work/tmp"
cd "$work"
export HOME="$work/home" TMPDIR="$work/tmp" PORTATLAS_BIN="$bin"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALIBABA_CLOUD_SECURITY_TOKEN \
  ALIBABA_CLOUD_CREDENTIALS_FILE ALIBABA_CLOUD_PROFILE ALIBABA_CLOUD_ECS_METADATA
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
node --test avds_sdk.test.js
