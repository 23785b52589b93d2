// FlowBuilder: flows from captured packets, for `portatlas flow --pcap`. A flow is the packets
// of one (address, port, address, port, protocol) in both directions, the initiator being the
// sender of its first packet (or the receiver, when that packet is a SYN-ACK). It ends when it
// has been idle for the idle timeout (UDP and others 60 s, TCP 300 s), when it has lasted the
// active timeout (30 min), 5 s after a RST or a FIN from each side, or at the end of the input;
// each end emits one FlowRecord (src the initiator, forward and reverse counters) with its label.
//
// The label: nDPI's protocol when it identified one (by dissection, or for a flow that carried
// payload nDPI could not dissect, by its port guess, as ndpiReader reports it); else "Unknown"
// with the reason Cloud
// Firewall's DPI reports (its app_dpi_state): tcp_not_establish for TCP whose handshake never
// completed (SYNs only, or a SYN answered by no ACK), no_payload when no packet carried
// transport payload, unknown_strict when payload went both ways and nDPI still did not know it,
// unknown_loose when it went one way only. nDPI sees at most max_dpi_packets of a flow.
//
// Not thread-safe.
#ifndef PORTATLAS_FLOW_PCAP_FLOWS_H_
#define PORTATLAS_FLOW_PCAP_FLOWS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "flow/aggregator.h"
#include "flow/flow_record.h"
#include "flow/ndpi_classifier.h"
#include "flow/packet_parse.h"

namespace portatlas::flow {

struct FlowBuilderOptions {
  int64_t idle_timeout_ms = 60'000;
  int64_t tcp_idle_timeout_ms = 300'000;
  int64_t active_timeout_ms = 1'800'000;
  int64_t closed_linger_ms = 5'000;
  int max_dpi_packets = 32;
  size_t max_flows = 1'000'000;  // past this, the oldest-started flows are ended early
};

struct FlowBuilderStats {
  uint64_t packets = 0;
  uint64_t flows = 0;        // emitted
  uint64_t ended_early = 0;  // past max_flows
};

class FlowBuilder {
 public:
  using Emit = std::function<void(const FlowRecord&, const FlowLabel&)>;
  FlowBuilder(NdpiClassifier& dpi, FlowBuilderOptions options, Emit emit);
  ~FlowBuilder();

  void Add(const PacketInfo& p, int64_t time_ms);
  // Ends the flows whose timeouts have passed at `now_ms` (the capture's clock).
  void Expire(int64_t now_ms);
  // Ends every flow.
  void Flush();
  size_t size() const { return flows_.size(); }
  const FlowBuilderStats& stats() const { return stats_; }

 private:
  struct Key {
    IpAddr a;
    IpAddr b;
    uint16_t a_port = 0;
    uint16_t b_port = 0;
    uint8_t proto = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct State;

  void End(State& s);
  bool Expired(const State& s, int64_t now_ms) const;

  NdpiClassifier& dpi_;
  FlowBuilderOptions options_;
  Emit emit_;
  std::unordered_map<Key, std::unique_ptr<State>, KeyHash> flows_;
  FlowBuilderStats stats_;
};

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_PCAP_FLOWS_H_
