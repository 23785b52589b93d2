// Packets from pcap files (libpcap) into a FlowBuilder. The capture's own timestamps drive the
// flow timeouts, so a file gives the same flows however fast it is read.
#ifndef PORTATLAS_FLOW_PCAP_INPUT_H_
#define PORTATLAS_FLOW_PCAP_INPUT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "flow/pcap_flows.h"

namespace portatlas::flow {

struct PcapStats {
  uint64_t frames = 0;
  uint64_t not_ip = 0;   // not IPv4/IPv6, a later fragment, or damaged
  uint64_t bytes = 0;    // IP bytes of the frames used
  uint64_t dropped = 0;  // live capture: frames the kernel dropped (pcap_stats)
};

// Reads every file in order into `builder` (its flows are not flushed at the end: the caller
// does). Errors: a file that libpcap cannot open or read (naming it); the frames before the
// error stay in the builder.
Status ReadPcapFiles(const std::vector<std::string>& files, FlowBuilder& builder, PcapStats* stats);

// Captures from a live interface (libpcap, promiscuous, whole packets, immediate mode) into
// `builder` until `stop` is set; `tick(now_ms)` runs about every 200 ms with the wall clock
// (to expire flows and flush). Errors: the interface cannot be opened (naming it and libpcap's
// reason), or reading fails. The kernel's drop count is in stats->dropped at the end.
Status CaptureInterface(const std::string& interface, FlowBuilder& builder, PcapStats* stats,
                        const std::atomic<bool>& stop, const std::function<void(int64_t)>& tick);

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_PCAP_INPUT_H_
