// RawScan: the stateless SYN and UDP scanner (root or CAP_NET_RAW). It plans the link (the
// route of each family, a spare source), opens AF_PACKET (scan/packet_io.h) and runs the raw
// engine (scan/raw_engine.h) on it with the probe module of the mode (scan/probe_modules.h).
//
// Frames are written straight to the link with AF_PACKET: a PACKET_MMAP transmit ring that the
// kernel sends in batches (one send() call flushes up to a whole batch, the qdisc bypassed), and
// a TPACKET_V3 receive ring behind a BPF filter. A transmit thread (the caller's) and a receive
// thread share no lock: the probe order is a keyed permutation of (address, port), a probe's
// source port and sequence number are keyed cookies of its destination, and a reply is
// accepted only when it echoes them. A bitmap of answered probes (one bit each) is the only
// state; it lets the scan resend what stayed unanswered (`retries` rounds) and report each port
// once. Every SYN-ACK gets an RST.
//
// States, as nmap names them: TCP open (syn-ack), closed (reset), filtered (ICMP unreachable, or
// no-response after every round); UDP open (udp-response), closed (port-unreach), filtered
// (other ICMP unreachables), open|filtered (no-response).
#ifndef PORTATLAS_SCAN_RAW_SCANNER_H_
#define PORTATLAS_SCAN_RAW_SCANNER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "core/status.h"
#include "scan/connect_scanner.h"
#include "scan/netpath.h"
#include "scan/probe_modules.h"
#include "scan/targets.h"

namespace portatlas::scan {

struct RawOptions {
  RawMode mode = RawMode::kSyn;
  uint64_t rate_pps = 0;     // probes per second over the whole scan; 0 = as fast as the link takes
  int retries = 2;           // rounds that resend unanswered probes
  int wait_ms = 1000;        // after a round, how long to wait for replies (less when all answered)
  uint64_t seed = 0;         // the key's seed; 0 = a fresh random one
  uint64_t start_index = 0;  // resume: the first position of the first round to send
  bool tx_ring = false;      // send through a PACKET_MMAP ring instead of sendmmsg()
  int tx_threads = 0;        // sending threads, each with its own ring; 0 = one per CPU (at most 4)
  // The source: the route's address, or the one of `sources` of the target's family. When it is
  // an address no
  // interface here holds (a spare one on the link, as masscan advises), the scan answers ARP and
  // neighbour solicitations for it itself with `source_mac` (default: the interface's MAC with
  // the last byte changed, locally administered), so replies reach the receive ring and the
  // kernel drops them as not its own at once instead of walking its TCP stack for each.
  NetPathOptions path;
  std::vector<IpAddr> sources;
  std::optional<MacAddr> source_mac;
  // UDP: the payload for a port in a round (0 first, then resends; may be empty). A port with
  // several payloads gets the next one in each resend round.
  std::function<std::span<const uint8_t>(uint16_t port, int round)> udp_payload;
  // Set (by a signal handler) to stop sending; the scan drains replies and returns.
  const std::atomic<bool>* stop = nullptr;
};

struct RawStats : ScanStats {
  uint64_t frames = 0;            // probes sent, resends included
  uint64_t resent = 0;            // of which resends
  uint64_t replies = 0;           // valid replies received (duplicates included)
  uint64_t rsts = 0;              // RSTs sent for SYN-ACKs
  uint64_t neighbor_replies = 0;  // ARP replies / neighbour advertisements for a spare source
  uint64_t open_filtered = 0;     // UDP ports that never answered
  uint64_t rounds = 0;
  double send_seconds = 0;  // time spent in the first round's sending
  uint64_t seed = 0;        // the key's seed (for --resume)
  std::string interface;
};

// The most probes (addresses x ports) one raw scan takes: its answered-bitmap is 512 MiB.
inline constexpr uint64_t kMaxRawProbes = uint64_t{1} << 32;

// `on_result` runs on the receive thread for each port as it is answered, and on the calling
// thread for unanswered ports at the end; never on two threads at once. `on_progress` gets
// (sent, total) on the calling thread about every 100 ms. Errors: no permission (not root),
// no route, targets of two families on different interfaces, too many probes.
Result<RawStats> RawScan(const TargetSet& targets, const std::vector<uint16_t>& ports,
                         const RawOptions& options,
                         const std::function<void(const PortResult&)>& on_result,
                         const std::function<void(uint64_t, uint64_t)>& on_progress = {});

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_RAW_SCANNER_H_
