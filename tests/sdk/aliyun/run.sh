#!/usr/bin/env bash
# Runs the Alibaba Cloud client-compatibility test (avds_sdk.test.js) against a portatlas binary.
#   tests/sdk/aliyun/run.sh /path/to/portatlas [WORK_DIR]
# Installs the pinned npm packages (package.json + package-lock.json, `npm ci`) into WORK_DIR
# (default: $PORTATLAS_SDK_WORK_DIR, else a temp dir), never into the source tree; exits 77
# (skipped) without node >= 18 and npm. Those steps, shared by the SDK tests, are in
# ../common/run_node_test.sh.
set -euo pipefail

# @alicloud/credentials reads ~/.alibabacloud/credentials and ALIBABA_CLOUD_* variables when no
# key is given: the common script keeps HOME inside the work dir; keep the environment free of
# real credentials here.
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALIBABA_CLOUD_SECURITY_TOKEN \
  ALIBABA_CLOUD_CREDENTIALS_FILE ALIBABA_CLOUD_PROFILE ALIBABA_CLOUD_ECS_METADATA
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/../common/run_node_test.sh" "$here" avds_sdk.test.js "$@"
