// The one JSON form of a ScanRecord: the lines of `scan -oJ` and the records of the scan-task
// upload. {"ip","protocol","port","state"} always; "reason", "reason_ttl", "updated_at" and
// detection's "service", "product", "version", "info", "cpe", "tls", "banner_hash" when set.
// A tls that is not a JSON object text is written as a string (the server refuses it).
#ifndef PORTATLAS_SCAN_RECORD_JSON_H_
#define PORTATLAS_SCAN_RECORD_JSON_H_

#include <string>

#include "core/json_writer.h"
#include "scan/record.h"

namespace portatlas::scan {

void WriteScanRecord(JsonWriter& w, const ScanRecord& r);
// One record as a compact JSON object text.
std::string ScanRecordJson(const ScanRecord& r);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_RECORD_JSON_H_
