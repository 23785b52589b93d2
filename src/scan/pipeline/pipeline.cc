#include "scan/pipeline/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <utility>

#include "scan/keyed.h"

namespace portatlas::scan {
namespace {

int64_t EpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string_view EngineName(TcpEngine e) {
  switch (e) {
    case TcpEngine::kNone:
      return "";
    case TcpEngine::kConnect:
      return "connect";
    case TcpEngine::kSyn:
      return "syn";
  }
  return "";
}

// Turns the engines' results into records and hands them to the sinks (through the detector
// when there is one). Called from engine and detector threads.
class Collector {
 public:
  explicit Collector(const std::vector<ResultSink*>& sinks)
      : sinks_(sinks),
        any_wants_closed_(std::any_of(sinks.begin(), sinks.end(),
                                      [](const ResultSink* s) { return s->WantsClosed(); })) {}

  void set_detector(Detector* d) { detector_ = d; }

  void Add(const PortResult& r) {
    const bool replied = r.state == PortState::kOpen || r.state == PortState::kClosed ||
                         (r.state == PortState::kFiltered && r.reason != "no-response");
    const bool listed = r.state == PortState::kOpen || r.state == PortState::kOpenFiltered;
    {
      std::lock_guard lock(mu_);
      if (replied) up_.insert(HostKey(r.ip));
      if (r.state == PortState::kOpen) ++open_;
    }
    if (!listed && !(any_wants_closed_ && r.state == PortState::kClosed)) return;
    ScanRecord rec;
    rec.ip = r.ip;
    rec.proto = r.proto;
    rec.port = r.port;
    rec.state = std::string(PortStateName(r.state));
    rec.reason = std::string(r.reason);
    rec.updated_at_ms = EpochMs();
    if (listed && detector_ != nullptr) return detector_->Add(std::move(rec));
    Emit(rec);
  }

  // A finished record to every sink that takes it. Any thread.
  void Emit(const ScanRecord& rec) {
    const bool closed = rec.state == "closed";
    std::lock_guard lock(mu_);
    for (ResultSink* s : sinks_) {
      if (!closed || s->WantsClosed()) s->Write(rec);
    }
  }

  void Progress(uint64_t done, uint64_t total) {
    for (ResultSink* s : sinks_) s->Progress(done, total);
  }

  uint64_t hosts_up() {
    std::lock_guard lock(mu_);
    return up_.size();
  }
  uint64_t open() {
    std::lock_guard lock(mu_);
    return open_;
  }

 private:
  static std::string HostKey(const IpAddr& ip) {
    return std::string(reinterpret_cast<const char*>(ip.bytes.data()), 16) +
           (ip.family == Family::kIpv4 ? "4" : "6");
  }

  const std::vector<ResultSink*>& sinks_;
  const bool any_wants_closed_;
  Detector* detector_ = nullptr;
  std::mutex mu_;
  std::unordered_set<std::string> up_;
  uint64_t open_ = 0;
};

// What every phase shares.
struct Run {
  const ScanSpec& spec;
  const PipelineHooks& hooks;
  Collector& collector;
  ScanOutcome& outcome;
  uint64_t all_probes = 0;

  // The progress callback of a phase whose positions start at `offset` of all probes.
  std::function<void(uint64_t, uint64_t)> ProgressOf(std::string_view phase, uint64_t offset) {
    return [this, phase, offset](uint64_t done, uint64_t total) {
      collector.Progress(offset + done, all_probes);
      if (hooks.on_progress) hooks.on_progress({phase, done, total, collector.open()});
    };
  }
  void EndPhase(PhaseStats st) {
    if (hooks.on_phase_end) hooks.on_phase_end(st);
    outcome.phases.push_back(std::move(st));
  }
};

// The raw engine's options for a phase of `mode` that starts at position `start`.
RawOptions RawPhaseOptions(const Run& run, RawMode mode, uint64_t start) {
  RawOptions o = run.spec.raw;
  o.mode = mode;
  o.seed = run.outcome.resume.seed;
  o.start_index = start;
  o.stop = run.hooks.stop;
  return o;
}

Result<RawStats> RawPhase(Run& run, const std::vector<uint16_t>& ports, const RawOptions& o,
                          std::string_view phase, uint64_t offset) {
  return RawScan(
      run.spec.targets, ports, o, [&run](const PortResult& r) { run.collector.Add(r); },
      run.ProgressOf(phase, offset));
}

Status RunSynPhase(Run& run) {
  const RawOptions o = RawPhaseOptions(run, RawMode::kSyn, run.outcome.resume.tcp_next);
  PA_ASSIGN_OR_RETURN(st, RawPhase(run, run.spec.tcp_ports, o, "SYN", 0));
  run.outcome.resume.tcp_next = st.next_index;
  run.outcome.interrupted = st.interrupted;
  run.EndPhase({fmt::format("tcp (SYN via {})", st.interface), st.open, st.closed, st.filtered, 0,
                st.frames, st.resent, st.send_seconds});
  return Status::Ok();
}

Status RunConnectPhase(Run& run) {
  ConnectOptions o = run.spec.connect;
  o.start_index = run.outcome.resume.tcp_next;
  o.stop = run.hooks.stop;
  PA_ASSIGN_OR_RETURN(
      st, ConnectScan(
              run.spec.targets, run.spec.tcp_ports, o,
              [&run](const PortResult& r) { run.collector.Add(r); }, run.ProgressOf("connect", 0)));
  run.outcome.resume.tcp_next = st.next_index;
  run.outcome.interrupted = st.interrupted;
  run.EndPhase({"tcp (connect)", st.open, st.closed, st.filtered, 0, st.probes, 0, 0});
  return Status::Ok();
}

Status RunUdpPhase(Run& run) {
  RawOptions o = RawPhaseOptions(run, RawMode::kUdp, run.outcome.resume.udp_next);
  if (run.spec.udp_payloads) {
    o.udp_payload = [&run](uint16_t port, int round) -> std::span<const uint8_t> {
      const auto all = run.spec.udp_payloads(port);
      if (all.empty()) return {};
      const std::vector<uint8_t>& p = all[static_cast<size_t>(round) % all.size()];
      return {p.data(), p.size()};
    };
  }
  PA_ASSIGN_OR_RETURN(st, RawPhase(run, run.spec.udp_ports, o, "UDP", TcpProbes(run.spec)));
  run.outcome.resume.udp_next = st.next_index;
  run.outcome.interrupted = st.interrupted;
  run.EndPhase({"udp", st.open, st.closed, st.filtered, st.open_filtered, st.frames, st.resent,
                st.send_seconds});
  return Status::Ok();
}

// The TCP phase, then the UDP phase unless the scan was stopped.
Status RunPhases(Run& run) {
  if (run.spec.tcp == TcpEngine::kSyn) PA_RETURN_IF_ERROR(RunSynPhase(run));
  if (run.spec.tcp == TcpEngine::kConnect) PA_RETURN_IF_ERROR(RunConnectPhase(run));
  if (!run.spec.udp_ports.empty() && !run.outcome.interrupted) {
    PA_RETURN_IF_ERROR(RunUdpPhase(run));
  }
  return Status::Ok();
}

}  // namespace

Status CheckScan(const ScanSpec& spec, const ResumePoint& start) {
  if (auto outside = spec.allowed.FirstUncovered(spec.targets)) {
    return PermissionDenied(
        fmt::format("target {} is outside the allow-list", RangeToString(*outside)));
  }
  if (spec.tcp_ports.empty() && spec.udp_ports.empty()) {
    return InvalidArgument("no ports to scan");
  }
  if (!start.fingerprint.empty() && start.fingerprint != ResumeFingerprint(spec)) {
    return InvalidArgument("the resume point belongs to another scan");
  }
  return Status::Ok();
}

uint64_t TcpProbes(const ScanSpec& spec) { return spec.targets.Size() * spec.tcp_ports.size(); }
uint64_t AllProbes(const ScanSpec& spec) {
  return TcpProbes(spec) + spec.targets.Size() * spec.udp_ports.size();
}

std::string ResumeFingerprint(const ScanSpec& spec) {
  return ScanFingerprint(spec.targets, spec.tcp_ports, spec.udp_ports, EngineName(spec.tcp));
}

std::string ScanOutcome::Summary() const {
  std::string out;
  for (const PhaseStats& p : phases) {
    if (!out.empty()) out += "; ";
    if (p.name == "udp") {
      out += fmt::format("udp: {} open, {} open|filtered, {} closed, {} filtered", p.open,
                         p.open_filtered, p.closed, p.filtered);
    } else if (p.name == "tcp (connect)") {
      out += fmt::format("tcp (connect): {} open, {} closed, {} filtered ({} connects)", p.open,
                         p.closed, p.filtered, p.probes);
    } else {
      out += fmt::format("{}: {} open, {} closed, {} filtered; {} probes ({} resent) in {:.2f} s",
                         p.name, p.open, p.closed, p.filtered, p.probes, p.resent, p.send_seconds);
    }
  }
  if (detect) {
    if (!out.empty()) out += "; ";
    out += fmt::format(
        "service detection: {} ports, {} identified, {} TLS, {} probes, {:.2f} s after the port "
        "scan",
        detect->ports, detect->identified, detect->tls_handshakes, detect->probes_sent,
        detect_seconds);
  }
  return out;
}

Result<ScanOutcome> RunScanPipeline(const ScanSpec& spec, const ResumePoint& start,
                                    const std::vector<ResultSink*>& sinks,
                                    const PipelineHooks& hooks) {
  PA_RETURN_IF_ERROR(CheckScan(spec, start));
  ScanOutcome outcome;
  outcome.resume = start;
  outcome.resume.fingerprint = ResumeFingerprint(spec);
  if (outcome.resume.seed == 0) outcome.resume.seed = ProbeKey::RandomSeed();
  Collector collector(sinks);
  std::unique_ptr<Detector> detector;
  if (spec.probe_db != nullptr) {
    DetectOptions o = spec.detect;
    o.stop = hooks.stop;
    PA_ASSIGN_OR_RETURN(started, Detector::Start(*spec.probe_db, o, [&collector](ScanRecord r) {
                          collector.Emit(r);
                        }));
    detector = std::move(started);
    collector.set_detector(detector.get());
  }
  Run run{spec, hooks, collector, outcome, AllProbes(spec)};
  const Status phases = RunPhases(run);
  if (detector) {
    // Every port handed to it is reported before the run ends, even after an engine's error.
    const auto t0 = std::chrono::steady_clock::now();
    outcome.detect = detector->Finish();
    outcome.detect_seconds = SecondsSince(t0);
    collector.set_detector(nullptr);
  }
  PA_RETURN_IF_ERROR(phases);
  outcome.hosts_up = collector.hosts_up();
  outcome.open = collector.open();
  return outcome;
}

}  // namespace portatlas::scan
