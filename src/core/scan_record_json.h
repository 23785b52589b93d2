// The one JSON codec of a ScanRecord, in two forms of the same fields ("ip", "protocol",
// "port", "state", "reason", "reason_ttl", "updated_at", "service", "product", "version",
// "info", "cpe", "tls", "banner_hash"):
//   kSparse   the lines of `scan -oJ` and the records of the scan-task upload: ip, protocol,
//             port and state always, the others only when set; a tls that is not a JSON
//             object text is written as a string (the server refuses it);
//   kComplete the scan-task API's answers: every field, empty strings and zeros included, tls
//             null when there is none (the stored tls is always an object).
#ifndef PORTATLAS_CORE_SCAN_RECORD_JSON_H_
#define PORTATLAS_CORE_SCAN_RECORD_JSON_H_

#include <string>

#include "core/json_writer.h"
#include "core/scan_record.h"

namespace portatlas {

enum class RecordForm { kSparse, kComplete };

void WriteScanRecord(JsonWriter& w, const ScanRecord& r, RecordForm form = RecordForm::kSparse);
// One record as a compact JSON object text.
std::string ScanRecordJson(const ScanRecord& r, RecordForm form = RecordForm::kSparse);

}  // namespace portatlas

#endif  // PORTATLAS_CORE_SCAN_RECORD_JSON_H_
