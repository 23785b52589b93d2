// Aggregator: flows to the traffic view's records, one per (server address, protocol, server
// port, UTC hour), for flows whose client is on the internet (classify.h). Records from the
// server to a client add to bytes_out/packets_out; records towards the server add to
// bytes_in/packets_in and count one flow each (a biflow record does both). Every flow's bytes
// (both directions) go to its application protocol; a flow counted whose protocol is "Unknown"
// also counts its reason, one with a server name (SNI, Host) counts it in server_names. Flows of
// other IP protocols, and flows between two non-internet addresses, are counted in stats() and not
// aggregated.
//
// Not thread-safe: one aggregator per collecting thread; Drain hands over what it holds.
#ifndef PORTATLAS_FLOW_AGGREGATOR_H_
#define PORTATLAS_FLOW_AGGREGATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/distinct_count.h"
#include "core/traffic_record.h"
#include "flow/classify.h"
#include "flow/flow_record.h"

namespace portatlas::flow {

inline constexpr std::string_view kUnknownProtocol = "Unknown";

// What is known of a flow's payload: its application protocol, or "Unknown" and why.
struct FlowLabel {
  std::string_view protocol = kUnknownProtocol;
  std::string_view unknown_reason;  // when protocol is Unknown: no_payload, tcp_not_establish, ...
  std::string_view server_name;     // the TLS SNI, HTTP Host or DNS name seen; "" when none
};

// The label of a flow an exporter reported (no payload seen): tcp_not_establish when its TCP
// flags are known and hold no ACK (the handshake never completed), else no_payload.
FlowLabel ExportedFlowLabel(const FlowRecord& f);

struct AggregatorStats {
  uint64_t flows = 0;            // given to Add
  uint64_t aggregated = 0;       // of those, added to a record
  uint64_t not_internet = 0;     // client side not on the internet
  uint64_t other_protocols = 0;  // neither TCP nor UDP
};

class Aggregator {
 public:
  Aggregator(std::shared_ptr<const InternetRanges> internet,
             std::shared_ptr<const WellKnownPorts> well_known);

  // The listeners known now (rule 1 of classify.h); may be swapped at any time between Adds.
  void SetListeners(std::shared_ptr<const ListenerSet> listeners);

  // `now_ms` buckets a flow whose start time the exporter did not give.
  void Add(const FlowRecord& f, const FlowLabel& label, int64_t now_ms);

  // Every record since the last Drain (sorted by ip, protocol, port, hour), and starts empty.
  std::vector<TrafficRecord> Drain();
  size_t size() const { return entries_.size(); }
  const AggregatorStats& stats() const { return stats_; }

 private:
  struct Key {
    IpAddr ip;
    uint8_t proto = 0;
    uint16_t port = 0;
    int64_t hour_ms = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Entry {
    TrafficRecord record;
    DistinctCount sources;
  };

  std::shared_ptr<const InternetRanges> internet_;
  std::shared_ptr<const WellKnownPorts> well_known_;
  std::shared_ptr<const ListenerSet> listeners_;
  std::unordered_map<Key, Entry, KeyHash> entries_;
  AggregatorStats stats_;
};

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_AGGREGATOR_H_
