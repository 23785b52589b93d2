// The raw engine behind RawScan, on any PacketIo: senders, rounds, reply matching and the
// report of what stayed unanswered. RawScan (raw_scanner.h) plans the link and opens AF_PACKET;
// tests give the engine a plan by hand and an in-memory link.
//
// One run: the senders are opened first (each a thread of its own in a round, taking every
// n-th position of a keyed permutation of (address, port)); then the receiving thread starts;
// round 0 sends every probe from options.start_index on, paced by the PaceClock, and later
// rounds resend what is unanswered (options.retries), each followed by a wait of up to
// options.wait_ms; then the receiving thread stops and every unanswered probe is reported
// with the module's `unanswered` state.
#ifndef PORTATLAS_SCAN_RAW_ENGINE_H_
#define PORTATLAS_SCAN_RAW_ENGINE_H_

#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "scan/pace_clock.h"
#include "scan/packet.h"
#include "scan/packet_io.h"
#include "scan/probe_modules.h"
#include "scan/raw_scanner.h"
#include "scan/targets.h"

namespace portatlas::scan {

// Where the probes leave from, per address family (slot 0 IPv4, 1 IPv6).
struct RawPlan {
  int ifindex = 0;
  std::string ifname;
  std::array<FrameTemplate, 2> tmpl{};
  std::array<bool, 2> have{};   // targets of this family are scanned
  std::array<bool, 2> spare{};  // the source is not this machine's: answer neighbour lookups
};

inline size_t FamilySlot(Family f) { return f == Family::kIpv4 ? 0 : 1; }

// The receive filter (tcpdump syntax) for replies to this plan's probes of this module.
std::string ReceiveFilter(const RawPlan& plan, const ProbeModule& module);

// InvalidArgument when hosts x ports is more than kMaxRawProbes.
Status CheckProbeCount(uint64_t hosts, size_t ports);

// The number of sending threads for these options and probes: options.tx_threads, else one
// per CPU (at most 4), and at most one per 1,000 probes/s of a set rate.
uint64_t SenderCount(const RawOptions& options, uint64_t probes);

// Runs one scan of `targets` x `ports` as above. `on_result` runs on the receiving thread for
// each port as it is answered, and on the calling thread for unanswered ports at the end;
// never on two threads at once. `on_progress` gets (sent, total) on the calling thread about
// every 100 ms. Errors: a sender the link would not open (nothing is sent then), the
// link that stopped taking frames (after what was sent is reported), too many probes.
Result<RawStats> RunRawEngine(const RawPlan& plan, const TargetSet& targets,
                              const std::vector<uint16_t>& ports, const RawOptions& options,
                              PacketIo& io, PaceClock& clock,
                              const std::function<void(const PortResult&)>& on_result,
                              const std::function<void(uint64_t, uint64_t)>& on_progress = {});

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_RAW_ENGINE_H_
