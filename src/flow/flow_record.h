// FlowRecord: one flow as an exporter reports it (NetFlow v5/v9, IPFIX) or as the pcap flow
// builder makes it, in one shape for everything after the decoders (direction, internet,
// aggregates).
#ifndef PORTATLAS_FLOW_FLOW_RECORD_H_
#define PORTATLAS_FLOW_FLOW_RECORD_H_

#include <cstdint>

#include "core/types.h"

namespace portatlas::flow {

inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;

// One flow, in the direction src -> dst. Counters are L3 bytes (IP total length) and packets,
// already multiplied by the sampling rate the exporter announced (`sampling`, 1 when unsampled).
// `rev_*` are the counters of the opposite direction when the exporter sends both in one
// record (an RFC 5103 biflow, or NetFlow v9's OUT_BYTES/OUT_PKTS), else 0.
struct FlowRecord {
  IpAddr src;
  IpAddr dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ip_proto = 0;   // IANA protocol number
  uint8_t tcp_flags = 0;  // OR over the flow's packets (TCP only)
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint64_t rev_bytes = 0;
  uint64_t rev_packets = 0;
  int64_t start_ms = 0;  // Unix time in ms of the first and last packet; 0 when unknown
  int64_t end_ms = 0;
  uint32_t sampling = 1;
};

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_FLOW_RECORD_H_
