#!/usr/bin/env bash
# Runs the Huawei SDK client-compatibility test (hss_sdk.test.js) against a portatlas binary.
#   tests/sdk/huawei/run.sh /path/to/portatlas [WORK_DIR]
# Installs the pinned npm packages (package.json + package-lock.json, `npm ci`) into WORK_DIR
# (default: $PORTATLAS_SDK_WORK_DIR, else a temp dir), never into the source tree; exits 77
# (skipped) without node >= 18 and npm. Those steps, shared by the SDK tests, are in
# ../common/run_node_test.sh.
set -euo pipefail

# The SDK writes ~/.huaweicloud/application_id: the common script keeps HOME (and temp files)
# inside the work dir. The test also points HOME at its own temp dir before it loads the SDK.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/../common/run_node_test.sh" "$here" hss_sdk.test.js "$@"
