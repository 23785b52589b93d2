// The decoder's state per exporter and the facts of one message, shared by the files of
// FlowDecoder (decoder.cc, data_records.cc, netflow_v5.cc). Internal to src/flow.
#ifndef PORTATLAS_FLOW_EXPORTER_STATE_H_
#define PORTATLAS_FLOW_EXPORTER_STATE_H_

#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>
#include <vector>

#include "flow/flow_record.h"
#include "flow/templates.h"

namespace portatlas::flow {

// What the times and counters of a data record are read against.
struct MessageContext {
  Version version = Version::kV9;
  int64_t export_ms = 0;       // the header's Unix time, in ms
  uint32_t sys_uptime_ms = 0;  // v9 (and v5): the exporter's uptime at export
  int64_t now_ms = 0;          // the collector's clock at receipt
};

struct HeldSet {
  uint16_t template_id = 0;
  MessageContext context;
  std::vector<uint8_t> body;
};

struct ExporterState {
  std::unordered_map<uint16_t, Template> templates;
  std::deque<HeldSet> held;
  size_t held_bytes = 0;
  uint32_t default_sampling = 1;                    // for records naming no sampler
  std::unordered_map<uint64_t, uint32_t> samplers;  // sampler or selector id -> rate
  int64_t sys_init_ms = 0;                          // IPFIX systemInitTimeMilliseconds; 0: unknown
  bool have_sequence = false;
  uint32_t next_sequence = 0;
  int64_t last_seen_ms = 0;
};

struct RecordCounts {
  uint64_t flows = 0;
  uint64_t option_records = 0;
  uint64_t without_addresses = 0;
  uint64_t data_records = 0;  // every data record, options ones too (IPFIX sequence numbers)
};

// Decodes the records of one data set body described by `t`, appending flows to *out and
// applying options records to `ex`. kParse when a record is cut short (trailing bytes fewer
// than one record are padding); the records before it stay appended.
Status DecodeRecords(const Template& t, const MessageContext& m, std::span<const uint8_t> body,
                     ExporterState& ex, std::vector<FlowRecord>* out, RecordCounts* counts);

// a * b, or UINT64_MAX when that overflows.
uint64_t SaturatingMul(uint64_t a, uint64_t b);

// Unix ms of the uptime `t` of an exporter whose uptime was `sys_uptime` at `export_ms`,
// modulo 2^32 ms (an uptime a little past sys_uptime lies after the export).
int64_t UptimeToUnixMs(uint32_t t, uint32_t sys_uptime, int64_t export_ms);

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_EXPORTER_STATE_H_
