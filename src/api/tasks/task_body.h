// Request bodies of the scan-task API (docs/scan-tasks.md), parsed strictly: every field's type,
// range and length is checked and an error names the field ("records[3].port: must be
// 0-65535"), so that a request is either wholly valid or refused before anything is stored.
// Unknown fields are ignored. Strings must be valid UTF-8.
#ifndef PORTATLAS_API_TASKS_TASK_BODY_H_
#define PORTATLAS_API_TASKS_TASK_BODY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "inventory/scan_tasks.h"
#include "store/records.h"

namespace portatlas::api::tasks {

inline constexpr size_t kMaxRecordsPerRequest = 10000;

// Whether `kind` is a task kind: connect, syn, udp, import-nmap, import-masscan.
bool IsTaskKind(std::string_view kind);
// Whether `state` is one of nmap's port states: open, closed, filtered, unfiltered,
// open|filtered, closed|filtered.
bool IsPortState(std::string_view state);

// POST /v1/scan-tasks: {name, kind, targets, ports, probes_total}. Returns the new task with
// those fields set, status running, and no project, id or times.
Result<store::ScanTaskRow> ParseCreateTaskBody(std::string_view body);

// POST /v1/scan-tasks/{id}/records: {"records": [...]}, at most kMaxRecordsPerRequest. A
// record's `tls` object is returned compact-serialised.
Result<std::vector<store::ScanRecordRow>> ParseRecordsBody(std::string_view body);

// POST /v1/scan-tasks/{id}/progress. Absent fields are nullopt (left as they are).
using ProgressUpdate = inventory::TaskProgress;
Result<ProgressUpdate> ParseProgressBody(std::string_view body);

}  // namespace portatlas::api::tasks

#endif  // PORTATLAS_API_TASKS_TASK_BODY_H_
