// TrafficRecord: the traffic view's one record, what the flow collector ships and the server
// stores: the traffic an internet-facing server port received in one time bucket (an hour, or
// a day in the store's daily totals).
#ifndef PORTATLAS_CORE_TRAFFIC_RECORD_H_
#define PORTATLAS_CORE_TRAFFIC_RECORD_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace portatlas {

// Named counts, sorted by name, names distinct; at most kMaxNamedCountsPerRecord in a record.
inline constexpr size_t kMaxNamedCountsPerRecord = 64;
using NamedCounts = std::vector<std::pair<std::string, uint64_t>>;

struct TrafficRecord {
  IpAddr ip;  // the server's address
  Proto proto = Proto::kTcp;
  uint16_t port = 0;
  int64_t bucket_ms = 0;  // the bucket's start, Unix ms (UTC hour or day)
  uint64_t bytes_in = 0;  // towards the server, L3 bytes
  uint64_t bytes_out = 0;
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;
  uint64_t flows = 0;        // flows from clients to the server
  std::string sources;       // distinct internet sources: DistinctCount::Serialize
  NamedCounts protocols;     // application protocol ("TLS", "SSH", "Unknown", ...) -> bytes
  NamedCounts unknown;       // why unidentified ("no_payload", ...) -> flows
  NamedCounts server_names;  // TLS SNI / HTTP Host / DNS name seen -> flows (pcap input only)
};

// Adds b's counts into a, keeping it sorted by name (counts saturate at UINT64_MAX).
void AddNamedCounts(NamedCounts* a, const NamedCounts& b);

// Adds `from`'s counters into `into` (the key fields are the caller's business; saturating),
// and its sources as a union. kParse when either's sources do not parse (then `into` is as it
// was).
Status MergeTraffic(TrafficRecord* into, const TrafficRecord& from);

}  // namespace portatlas

#endif  // PORTATLAS_CORE_TRAFFIC_RECORD_H_
