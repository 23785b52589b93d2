// The one JSON codec of the traffic view: the flow collector's batches (POST
// /v1/ingest/traffic, docs/traffic.md) and the records of GET /v1/traffic.
//
//   {"collector": "c1f0...", "batch": 17, "records": [
//     {"ip": "198.18.0.2", "protocol": "tcp", "port": 443, "hour": 1765000800000,
//      "bytes_in": 1200, "bytes_out": 9000, "packets_in": 10, "packets_out": 9, "flows": 2,
//      "sources": "e:...", "protocols": {"TLS": 10200}, "unknown": {}, "server_names":
//      {"www.example.com": 2}}]}
//
// A batch is the unit of exactly-once delivery: (collector, batch) names it, and the server
// applies a name once however often it is sent.
#ifndef PORTATLAS_CORE_TRAFFIC_JSON_H_
#define PORTATLAS_CORE_TRAFFIC_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.h"
#include "core/status.h"
#include "core/traffic_record.h"

namespace portatlas {

inline constexpr size_t kMaxTrafficRecordsPerBatch = 10000;
inline constexpr size_t kMaxNamedCounts = kMaxNamedCountsPerRecord;
inline constexpr int64_t kHourMs = 3'600'000;

struct TrafficBatch {
  std::string collector;  // 1-64 of [A-Za-z0-9._-]
  uint64_t batch = 0;
  std::vector<TrafficRecord> records;
};

// One record's object. In a batch (kBatch) the bucket is "hour"; in the API's answers (kAnswer)
// it is "bucket" (a record may be a day) and "distinct_sources" (the estimate) follows sources.
enum class TrafficForm { kBatch, kAnswer };
void WriteTrafficRecord(JsonWriter& w, const TrafficRecord& r,
                        TrafficForm form = TrafficForm::kBatch);
std::string TrafficBatchJson(const TrafficBatch& b);

// Named counts as a JSON object text ({"TLS":10200}), for storage; and back. kParse when the
// text is not such an object.
std::string NamedCountsJson(const NamedCounts& counts);
Result<NamedCounts> ParseNamedCountsJson(std::string_view text);

// Parses a batch strictly: kInvalidArgument naming the field ("records[2].port: must be
// 0-65535") for anything out of shape: more than kMaxTrafficRecordsPerBatch records, an address
// that is not one, a protocol other than tcp/udp, an hour not on an hour boundary, sources that
// do not parse, more than kMaxNamedCounts names or a name of 0 or more than 255 bytes.
Result<TrafficBatch> ParseTrafficBatch(std::string_view body);

}  // namespace portatlas

#endif  // PORTATLAS_CORE_TRAFFIC_JSON_H_
