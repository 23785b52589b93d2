// The scan pipeline: a scan is a value (ScanSpec), run by the library. RunScanPipeline checks
// the allow-list itself, runs the TCP phase (connect or SYN) and then the UDP phase, turns the
// engines' results into ScanRecords (through service detection when asked for), and hands
// them to every sink. A scan started by the CLI, a scan worker or the server runs the same way,
// and none can skip the allow-list.
//
// Which results become records: open and open|filtered ports are "listed" and go to every
// sink; closed ports go only to sinks that want them (nmap XML lists them); filtered ports go
// nowhere. A host is "up" when any of its ports answered at all (open, closed, or an ICMP
// error), as nmap counts it.
#ifndef PORTATLAS_SCAN_PIPELINE_PIPELINE_H_
#define PORTATLAS_SCAN_PIPELINE_PIPELINE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "scan/connect_scanner.h"
#include "scan/detect/detector.h"
#include "scan/pipeline/resume.h"
#include "scan/raw_scanner.h"
#include "scan/record.h"
#include "scan/targets.h"

namespace portatlas::scan {

enum class TcpEngine : uint8_t { kNone, kConnect, kSyn };

struct ScanSpec {
  TargetSet targets;
  // Every target must lie inside it, or the scan is refused before any packet (PermissionDenied).
  TargetSet allowed;
  TcpEngine tcp = TcpEngine::kConnect;
  std::vector<uint16_t> tcp_ports;  // empty when tcp is kNone
  std::vector<uint16_t> udp_ports;  // empty: no UDP phase
  ConnectOptions connect;           // start_index and stop are the pipeline's
  RawOptions raw;                   // mode, seed, start_index and stop are the pipeline's
  // UDP: the payloads of a port, one tried in each round (at least one, maybe empty).
  std::function<std::span<const std::vector<uint8_t>>(uint16_t port)> udp_payloads;
  // Service detection: with a probe database (which must outlive the run), open ports go
  // through the detector before the sinks.
  const ProbeDb* probe_db = nullptr;
  DetectOptions detect;
};

// The fingerprint of this scan for its resume points (ScanFingerprint of targets, ports, engine).
std::string ResumeFingerprint(const ScanSpec& spec);

// The probes a phase sends: targets x its ports.
uint64_t TcpProbes(const ScanSpec& spec);
uint64_t AllProbes(const ScanSpec& spec);

// Where records go. Write is called from the engines' and the detector's threads, but never
// on two threads at once (the pipeline holds a lock around it).
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // Whether closed ports should reach Write too.
  virtual bool WantsClosed() const { return false; }
  virtual void Write(const ScanRecord& record) = 0;
  // Probes sent so far over every phase, of `total`; on the calling thread.
  virtual void Progress(uint64_t done, uint64_t total) {
    (void)done;
    (void)total;
  }
};

struct PhaseStats {
  std::string name;  // "tcp (SYN via eth0)", "tcp (connect)", "udp"
  uint64_t open = 0, closed = 0, filtered = 0, open_filtered = 0;
  uint64_t probes = 0, resent = 0;
  double send_seconds = 0;
};

struct ScanOutcome {
  std::vector<PhaseStats> phases;
  std::optional<DetectStats> detect;
  double detect_seconds = 0;  // detection's time after the port scan
  bool interrupted = false;
  ResumePoint resume;     // where to go on (the whole scan's positions when it finished)
  uint64_t hosts_up = 0;  // addresses that answered at all
  uint64_t open = 0;      // open ports found
  // One line for people: each phase's counts, then detection's.
  std::string Summary() const;
};

struct ScanProgress {
  std::string_view phase;  // "connect", "SYN", "UDP"
  uint64_t done = 0;       // probes of this phase sent, of
  uint64_t total = 0;
  uint64_t open = 0;  // open ports found so far
};

struct PipelineHooks {
  const std::atomic<bool>* stop = nullptr;  // set (by a signal handler) to stop sending
  // The running phase's progress about every 100 ms, on the calling thread.
  std::function<void(const ScanProgress&)> on_progress;
  // After each phase, with its stats (for a progress line to end).
  std::function<void(const PhaseStats&)> on_phase_end;
};

// What RunScanPipeline checks before anything is sent: every target inside the allow-list
// (PermissionDenied naming the first outside), some ports, and a resume point of this scan (its
// fingerprint empty or ResumeFingerprint(spec); InvalidArgument otherwise).
Status CheckScan(const ScanSpec& spec, const ResumePoint& start);

// Runs `spec` from `start` (a fresh ResumePoint, or one loaded for this spec: its fingerprint
// must be ResumeFingerprint(spec)) into `sinks`. Errors: a target outside the allow-list, a
// resume point of another scan, an engine's or the detector's error (what was found before is
// in the sinks).
Result<ScanOutcome> RunScanPipeline(const ScanSpec& spec, const ResumePoint& start,
                                    const std::vector<ResultSink*>& sinks,
                                    const PipelineHooks& hooks = {});

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_PIPELINE_PIPELINE_H_
