// ConnectScanner: TCP port discovery with the operating system's connect(), for unprivileged
// use. Non-blocking sockets on one epoll: thousands of connects in flight (bounded by
// `max_in_flight`, and by `per_host` for any one address), each with a timeout; a port that
// stays silent is tried again (`retries`) before it is called filtered. Every socket is closed
// with SO_LINGER 0, so an open port costs no TIME_WAIT and the local ports are reused at once.
//
// Probes go out port-major (every target's first port, then every target's second port...),
// which spreads the load over the hosts.
#ifndef PORTATLAS_SCAN_CONNECT_SCANNER_H_
#define PORTATLAS_SCAN_CONNECT_SCANNER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "scan/targets.h"

namespace portatlas::scan {

enum class PortState : uint8_t { kOpen, kClosed, kFiltered, kOpenFiltered };
std::string_view PortStateName(PortState s);  // "open", "closed", "filtered", "open|filtered"

struct PortResult {
  IpAddr ip;
  Proto proto = Proto::kTcp;
  uint16_t port = 0;
  PortState state = PortState::kOpen;
  // Why, as nmap says it: "syn-ack", "conn-refused", "no-response", "host-unreach", ...
  std::string_view reason;
};

struct ConnectOptions {
  int max_in_flight = 2048;  // clamped to the open-file limit, less a reserve
  int per_host = 512;
  int timeout_ms = 1000;
  int retries = 1;           // extra tries of a port that gave no answer
  uint64_t start_index = 0;  // resume: the first position (port-major) to probe
  int threads = 0;           // workers, each with its own epoll; 0 = one per CPU
  // Set (by a signal handler) to stop: nothing new is launched, what is in flight is dropped.
  const std::atomic<bool>* stop = nullptr;
};

struct ScanStats {
  uint64_t probes = 0;  // connect() calls, retries included
  uint64_t open = 0;
  uint64_t closed = 0;
  uint64_t filtered = 0;
  // Resume point: every position before it has been reported (== total when finished).
  uint64_t next_index = 0;
  bool interrupted = false;
};

// Scans every port of `ports` on every address of `targets`, with `threads` workers that take
// every n-th probe (the limits are shared out among them). `on_result` gets each port's final
// state (open, closed or filtered) as it is known, from the workers but never two at once;
// `on_progress`, if set, gets (done, total) on the calling thread about every 20 ms. Returns the
// counts, or an error when the scan could not run at all (epoll, the fd limit). The caller checks
// the allow-list before calling.
Result<ScanStats> ConnectScan(const TargetSet& targets, const std::vector<uint16_t>& ports,
                              const ConnectOptions& options,
                              const std::function<void(const PortResult&)>& on_result,
                              const std::function<void(uint64_t, uint64_t)>& on_progress = {});

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_CONNECT_SCANNER_H_
