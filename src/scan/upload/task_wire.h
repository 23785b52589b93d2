// The client side of the scan-task API's wire contract (docs/scan-tasks.md): request bodies
// and what the uploader reads from answers.
#ifndef PORTATLAS_SCAN_UPLOAD_TASK_WIRE_H_
#define PORTATLAS_SCAN_UPLOAD_TASK_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "scan/record.h"

namespace portatlas::scan {

enum class TaskKind : uint8_t { kConnect, kSyn, kUdp, kImportNmap, kImportMasscan };

// "connect", "syn", "udp", "import-nmap", "import-masscan".
std::string_view TaskKindName(TaskKind kind);

// What a scan or an import is, for the task the server creates.
struct TaskSpec {
  std::string name;  // 1-256 bytes
  TaskKind kind = TaskKind::kConnect;
  std::string targets;        // as the operator gave them; at most 64 KiB
  std::string ports;          // likewise
  uint64_t probes_total = 0;  // 0 when unknown (an import)
};

std::string CreateTaskBody(const TaskSpec& spec);

// {"records": [...]}. Empty strings and zero numbers are left out (the server's defaults). A
// record's tls that is not a JSON object text is sent as a string, which the server refuses
// for that record alone (records[i].tls).
std::string RecordsBody(std::span<const ScanRecord> records);

// A progress report; `status` ("done" or "failed") finishes the task, and `error` is sent when
// not empty. Counts beyond INT64_MAX are sent as INT64_MAX.
std::string ProgressBody(uint64_t done, uint64_t total, std::string_view status,
                         std::string_view error);

// The task_id of a creation answer; kParse when it has none.
Result<int64_t> ParseTaskId(std::string_view body);

// The index i of an error answer "records[i]...: why" (the record the server refused), or
// nullopt.
std::optional<size_t> RefusedRecordIndex(std::string_view body);

// A printable one-line summary of an error answer: "401 APIGW.0301: <error_msg>", or the
// status and the start of the body when it is not the API's error shape.
std::string ErrorSummary(int status, std::string_view body);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_UPLOAD_TASK_WIRE_H_
