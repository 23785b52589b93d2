// Response bodies of the scan-task API (docs/scan-tasks.md).
#ifndef PORTATLAS_API_TASKS_TASK_JSON_H_
#define PORTATLAS_API_TASKS_TASK_JSON_H_

#include <string>

#include "store/records.h"

namespace portatlas::api::tasks {

// The task object: task_id, name, kind, status, targets, ports, probes_done, probes_total,
// record_count, open_count, created_at, updated_at, finished_at (null while running), error.
std::string TaskJson(const store::ScanTaskRow& task);

// {"total": n, "tasks": [...]}: task objects without targets and ports (each may be 64 KiB;
// GET /v1/scan-tasks/{id} has them).
std::string TaskListJson(const store::QueryResult<store::ScanTaskRow>& page);

// {"total": n, "records": [...]}: records with the fields and names of the upload body; tls
// is an object, or null when the port is not TLS.
std::string RecordPageJson(const store::QueryResult<store::ScanRecordRow>& page);

}  // namespace portatlas::api::tasks

#endif  // PORTATLAS_API_TASKS_TASK_JSON_H_
