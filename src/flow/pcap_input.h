// Packets from pcap files (libpcap) into a FlowBuilder. The capture's own timestamps drive the
// flow timeouts, so a file gives the same flows however fast it is read.
#ifndef PORTATLAS_FLOW_PCAP_INPUT_H_
#define PORTATLAS_FLOW_PCAP_INPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "flow/pcap_flows.h"

namespace portatlas::flow {

struct PcapStats {
  uint64_t frames = 0;
  uint64_t not_ip = 0;  // not IPv4/IPv6, a later fragment, or damaged
  uint64_t bytes = 0;   // IP bytes of the frames used
};

// Reads every file in order into `builder` (its flows are not flushed at the end: the caller
// does). Errors: a file that libpcap cannot open or read (naming it); the frames before the
// error stay in the builder.
Status ReadPcapFiles(const std::vector<std::string>& files, FlowBuilder& builder, PcapStats* stats);

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_PCAP_INPUT_H_
