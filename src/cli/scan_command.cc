#include "cli/scan_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/exit_code.h"
#include "cli/log_flags.h"
#include "core/file.h"
#include "core/log.h"
#include "scan/detect/service_probes.h"
#include "scan/pipeline/pipeline.h"
#include "scan/pipeline/resume.h"
#include "scan/pipeline/sinks.h"
#include "scan/ports.h"
#include "scan/raw_scanner.h"
#include "scan/targets.h"
#include "scan/udp/udp_payloads.h"

namespace portatlas::cli {
namespace {

struct ScanArgs {
  std::vector<std::string> targets;
  std::string ports;
  int top_ports = 0;
  bool connect = false;
  bool syn = false;
  bool udp = false;
  std::vector<std::string> allow;
  std::string exclude;
  std::string input_list;
  std::string json_out;
  std::string xml_out;
  std::string resume;
  std::string command_line;  // for the XML's args
  std::string udp_payloads = "/usr/share/nmap/nmap-payloads";
  std::string server;
  std::string token;
  std::string task;
  int timeout_ms = 1000;
  int retries = -1;  // connect: 1 extra try; raw: 2 resend rounds
  int max_in_flight = 2048;
  int per_host = 512;
  uint64_t rate = 0;
  int senders = 0;
  bool tx_ring = false;
  int wait_ms = 1000;
  std::string interface;
  std::vector<std::string> source_ip;
  std::string source_mac;
  std::string router_mac;
  std::string nmap_services = "/usr/share/nmap/nmap-services";
  bool service_version = false;  // -sV
  int version_intensity = 7;
  bool version_light = false;
  bool version_all = false;
  std::string service_probes = "/usr/share/nmap/nmap-service-probes";
  int version_parallel = 4;
  int version_per_host = 8;
  int version_timeout_ms = 30000;
};

std::atomic<bool> g_stop{false};
extern "C" void OnSignal(int) { g_stop.store(true); }

int Fail(const Status& st) {
  logging::Logger().error("{}", st.message());
  return 2;
}

// Target lists (-iL) and nmap-services: a generous cap against a path at a device.
Result<std::string> ReadFile(const std::string& path) { return ReadFileCapped(path, 256 << 20); }

std::vector<uint16_t> Merge(std::vector<uint16_t> a, const std::vector<uint16_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  return a;
}

// The ports of `proto` ("tcp" or "udp"): -p (unprefixed ports count for both), else
// --top-ports N, else nmap's default of the top 1000.
Result<std::vector<uint16_t>> PortsFor(const ScanArgs& a, std::string_view proto) {
  if (!a.ports.empty()) {
    PA_ASSIGN_OR_RETURN(lists, scan::ParsePortSpec(a.ports));
    return Merge(lists.any, proto == "tcp" ? lists.tcp : lists.udp);
  }
  auto services = ReadFile(a.nmap_services);
  if (!services) {
    return NotFound(fmt::format("no -p given and {} is unreadable (install nmap-common or pass -p)",
                                a.nmap_services));
  }
  return scan::TopPorts(*services, proto, a.top_ports > 0 ? a.top_ports : 1000);
}

int64_t EpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The progress line on a terminal: rate, done/total, ETA, found.
class ProgressLine {
 public:
  ProgressLine() : tty_(isatty(STDERR_FILENO) == 1) {}
  void operator()(const scan::ScanProgress& p) {
    if (!tty_) return;
    if (p.phase != phase_) {
      phase_ = std::string(p.phase);
      start_ = std::chrono::steady_clock::now();
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = s > 0 ? static_cast<double>(p.done) / s : 0;
    const double eta = rate > 0 ? static_cast<double>(p.total - p.done) / rate : 0;
    const double pct =
        p.total > 0 ? 100.0 * static_cast<double>(p.done) / static_cast<double>(p.total) : 0;
    fmt::print(stderr, "\r{}: {:.0f} probes/s, {}/{} ({:.1f}%), ETA {:.0f} s, {} open   ", phase_,
               rate, p.done, p.total, pct, eta, p.open);
  }
  void End() {
    if (tty_) fmt::print(stderr, "\n");
  }

 private:
  bool tty_;
  std::string phase_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

Result<scan::RawOptions> RawOptionsFrom(const ScanArgs& a) {
  scan::RawOptions o;
  o.rate_pps = a.rate;
  o.tx_threads = a.senders;
  o.tx_ring = a.tx_ring;
  o.retries = a.retries >= 0 ? a.retries : 2;
  o.wait_ms = a.wait_ms;
  o.stop = &g_stop;
  o.path.interface = a.interface;
  for (const std::string& text : a.source_ip) {
    auto ip = ParseIpAddr(text);
    if (!ip) return InvalidArgument(fmt::format("--source-ip {}: not an address", text));
    o.sources.push_back(*ip);
  }
  if (!a.source_mac.empty()) {
    auto mac = scan::ParseMac(a.source_mac);
    if (!mac) return InvalidArgument(fmt::format("--source-mac {}: not a MAC", a.source_mac));
    o.source_mac = *mac;
  }
  if (!a.router_mac.empty()) {
    auto mac = scan::ParseMac(a.router_mac);
    if (!mac) return InvalidArgument(fmt::format("--router-mac {}: not a MAC", a.router_mac));
    o.path.router_mac = *mac;
  }
  return o;
}

// The targets of -iL and the command line, less --exclude.
Result<scan::TargetSet> TargetsFrom(const ScanArgs& a, std::vector<std::string>* specs) {
  *specs = a.targets;
  if (!a.input_list.empty()) {
    PA_ASSIGN_OR_RETURN(text, ReadFile(a.input_list));
    for (std::string& s : scan::SplitTargetList(text)) specs->push_back(std::move(s));
  }
  if (specs->empty()) return InvalidArgument("no targets (give TARGET... or -iL FILE)");
  PA_ASSIGN_OR_RETURN(targets, scan::ParseTargets(*specs, scan::SystemResolve));
  if (!a.exclude.empty()) {
    PA_ASSIGN_OR_RETURN(excluded,
                        scan::ParseTargets({a.exclude}, scan::SystemResolve, ~uint64_t{0}));
    targets.Subtract(excluded);
  }
  return targets;
}

// The scan the flags describe (the -sV probe database is loaded into `probe_db`).
Result<scan::ScanSpec> SpecFrom(const ScanArgs& a, std::vector<std::string>* specs,
                                std::optional<scan::ProbeDb>* probe_db) {
  if (a.syn && a.connect) return InvalidArgument("choose one of --connect and --syn");
  scan::ScanSpec spec;
  PA_ASSIGN_OR_RETURN(targets, TargetsFrom(a, specs));
  spec.targets = std::move(targets);
  // The allow-list: loopback, widened only by the operator.
  spec.allowed = scan::LoopbackAllowList();
  if (!a.allow.empty()) {
    PA_ASSIGN_OR_RETURN(extra, scan::ParseTargets(a.allow, scan::SystemResolve, ~uint64_t{0}));
    spec.allowed.Add(extra);
  }
  // TCP by connect() unless --syn; none when only --udp is asked for.
  const bool tcp = a.syn || a.connect || !a.udp;
  spec.tcp = !tcp    ? scan::TcpEngine::kNone
             : a.syn ? scan::TcpEngine::kSyn
                     : scan::TcpEngine::kConnect;
  if (tcp) {
    PA_ASSIGN_OR_RETURN(ports, PortsFor(a, "tcp"));
    spec.tcp_ports = std::move(ports);
  }
  if (a.udp) {
    PA_ASSIGN_OR_RETURN(ports, PortsFor(a, "udp"));
    spec.udp_ports = std::move(ports);
  }
  PA_ASSIGN_OR_RETURN(raw, RawOptionsFrom(a));
  spec.raw = std::move(raw);
  spec.connect.timeout_ms = a.timeout_ms;
  spec.connect.retries = a.retries >= 0 ? a.retries : 1;
  spec.connect.max_in_flight = a.max_in_flight;
  spec.connect.per_host = a.per_host;
  if (a.service_version) {
    *probe_db = scan::ProbeDb::Load(a.service_probes);
    const auto& warnings = (*probe_db)->warnings();
    for (size_t i = 0; i < warnings.size() && i < 3; ++i) {
      logging::Logger().warn("{}", warnings[i]);
    }
    if (warnings.size() > 3) {
      logging::Logger().warn("... {} more warnings about the probes", warnings.size() - 3);
    }
    spec.probe_db = &**probe_db;
    spec.detect.intensity = a.version_all ? 9 : a.version_light ? 2 : a.version_intensity;
    spec.detect.parallel = a.version_parallel;
    spec.detect.per_host = a.version_per_host;
    spec.detect.port_timeout_ms = a.version_timeout_ms;
  }
  return spec;
}

// The allow-list's refusal with the flag that widens it.
Status AllowListHint(const Status& st, const ScanArgs& a) {
  if (st.kind() != ErrorKind::kPermissionDenied) return st;
  return PermissionDenied(
      fmt::format("{} (loopback{}); widen it with --allow CIDR if you are authorised to scan it",
                  st.message(), a.allow.empty() ? "" : " and --allow"));
}

// The resume point of --resume: the saved one when the file exists (it must be this scan's).
Result<scan::ResumePoint> ResumeFrom(const ScanArgs& a, const scan::ScanSpec& spec, bool* resumed) {
  scan::ResumePoint start;
  *resumed = false;
  if (a.resume.empty()) return start;
  PA_ASSIGN_OR_RETURN(loaded, scan::LoadResume(a.resume));
  if (!loaded) return start;
  if (loaded->fingerprint != scan::ResumeFingerprint(spec)) {
    return InvalidArgument(
        fmt::format("{} belongs to another scan (targets, ports or scan types differ)", a.resume));
  }
  *resumed = true;
  logging::Logger().info("resuming from {} (tcp {}, udp {})", a.resume, loaded->tcp_next,
                         loaded->udp_next);
  return *loaded;
}

Result<std::unique_ptr<scan::FinishingSink>> XmlSinkFor(const ScanArgs& a,
                                                        const scan::ScanSpec& spec) {
  scan::NmapRunHeader header;
  header.args = a.command_line;
  header.version = "0.1.0";
  header.start_s = EpochMs() / 1000;
  if (spec.tcp != scan::TcpEngine::kNone) {
    header.scans.push_back({a.syn ? "syn" : "connect", Proto::kTcp, spec.tcp_ports});
  }
  if (!spec.udp_ports.empty()) header.scans.push_back({"udp", Proto::kUdp, spec.udp_ports});
  auto services = ReadFile(a.nmap_services);
  auto tcp_names = std::make_shared<std::vector<std::string>>(
      scan::ServiceNames(services ? *services : "", "tcp"));
  auto udp_names = std::make_shared<std::vector<std::string>>(
      scan::ServiceNames(services ? *services : "", "udp"));
  return scan::OpenNmapXmlSink(a.xml_out, header, [tcp_names, udp_names](Proto p, uint16_t port) {
    return (p == Proto::kTcp ? *tcp_names : *udp_names)[port];
  });
}

Result<std::unique_ptr<scan::TaskUploader>> UploaderFor(const ScanArgs& a,
                                                        const scan::ScanSpec& spec,
                                                        const std::vector<std::string>& specs) {
  if (a.token.empty()) return InvalidArgument("--server needs --token");
  scan::TaskSpec task;
  task.name = a.task.empty() ? fmt::format("scan {}", fmt::join(specs, " ")) : a.task;
  if (task.name.size() > 256) task.name.resize(256);
  task.kind = spec.tcp == scan::TcpEngine::kNone  ? scan::TaskKind::kUdp
              : spec.tcp == scan::TcpEngine::kSyn ? scan::TaskKind::kSyn
                                                  : scan::TaskKind::kConnect;
  task.targets = fmt::format("{}", fmt::join(specs, " ")).substr(0, 65536);
  task.ports = a.ports.empty() ? fmt::format("top {}", a.top_ports > 0 ? a.top_ports : 1000)
                               : a.ports.substr(0, 65536);
  task.probes_total = scan::AllProbes(spec);
  auto started = scan::TaskUploader::Start(a.server, a.token, task);
  if (!started) return started.error().WithContext(a.server);
  logging::Logger().info("reporting to {} as task {}", a.server, (*started)->task_id());
  return started;
}

// The outputs the flags ask for, in the order they are finished.
struct Outputs {
  std::unique_ptr<scan::TaskUploader> uploader;
  std::vector<std::unique_ptr<scan::FinishingSink>> sinks;
  std::vector<scan::ResultSink*> Pointers() const {
    std::vector<scan::ResultSink*> out;
    for (const auto& s : sinks) out.push_back(s.get());
    return out;
  }
};

Result<Outputs> OutputsFor(const ScanArgs& a, const scan::ScanSpec& spec,
                           const std::vector<std::string>& specs, bool resumed) {
  Outputs out;
  if (a.json_out.empty()) {
    out.sinks.push_back(scan::MakeTextSink(stdout));
  } else {
    PA_ASSIGN_OR_RETURN(json, scan::OpenJsonLinesSink(a.json_out, resumed));
    out.sinks.push_back(std::move(json));
  }
  if (!a.xml_out.empty()) {
    PA_ASSIGN_OR_RETURN(xml, XmlSinkFor(a, spec));
    out.sinks.push_back(std::move(xml));
  }
  if (!a.server.empty()) {
    PA_ASSIGN_OR_RETURN(uploader, UploaderFor(a, spec, specs));
    out.uploader = std::move(uploader);
    out.sinks.push_back(scan::MakeUploadSink(*out.uploader));
  }
  return out;
}

// After the scan: every output finished, the summary logged, the resume file saved or removed.
int Conclude(const ScanArgs& a, const scan::ScanSpec& spec, Outputs& outputs,
             const scan::ScanOutcome& outcome, double seconds) {
  const scan::ScanEnd end{seconds, spec.targets.Size(), outcome.hosts_up, outcome.interrupted};
  for (auto& sink : outputs.sinks) {
    Status st = sink->Finish(end);
    if (!st.ok() && outputs.uploader && &sink == &outputs.sinks.back()) {
      st = st.WithContext(fmt::format("task {}", outputs.uploader->task_id()));
    }
    if (!st.ok()) return Fail(st);
  }
  logging::Logger().info("{} addresses in {:.2f} s: {}", spec.targets.Size(), seconds,
                         outcome.Summary());
  if (!outcome.interrupted) {
    if (!a.resume.empty()) unlink(a.resume.c_str());  // finished: nothing to resume
    return 0;
  }
  if (a.resume.empty()) {
    logging::Logger().info("interrupted (give --resume FILE to be able to go on)");
    return 130;
  }
  if (Status st = scan::SaveResume(a.resume, outcome.resume); !st.ok()) return Fail(st);
  logging::Logger().info("interrupted; state saved to {} (run the same command to go on)",
                         a.resume);
  return 130;
}

int RunScan(const ScanArgs& a) {
  std::vector<std::string> specs;
  std::optional<scan::ProbeDb> probe_db;
  auto spec = SpecFrom(a, &specs, &probe_db);
  if (!spec) return Fail(spec.error());
  bool resumed = false;
  auto start = ResumeFrom(a, *spec, &resumed);
  if (!start) return Fail(start.error());
  // Refused scans make no outputs and no task on the server.
  if (Status st = scan::CheckScan(*spec, *start); !st.ok()) return Fail(AllowListHint(st, a));
  const scan::UdpPayloads payloads =
      spec->udp_ports.empty() ? scan::UdpPayloads() : scan::UdpPayloads::Load(a.udp_payloads);
  for (size_t i = 0; i < payloads.warnings().size() && i < 3; ++i) {
    logging::Logger().warn("{}", payloads.warnings()[i]);
  }
  spec->udp_payloads = [&payloads](uint16_t port) { return payloads.ForPort(port); };
  auto outputs = OutputsFor(a, *spec, specs, resumed);
  if (!outputs) return Fail(outputs.error());
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  ProgressLine progress;
  scan::PipelineHooks hooks;
  hooks.stop = &g_stop;
  hooks.on_progress = std::ref(progress);
  hooks.on_phase_end = [&progress](const scan::PhaseStats&) { progress.End(); };
  const auto t0 = std::chrono::steady_clock::now();
  auto outcome = scan::RunScanPipeline(*spec, *start, outputs->Pointers(), hooks);
  if (!outcome) return Fail(AllowListHint(outcome.error(), a));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Conclude(a, *spec, *outputs, *outcome, seconds);
}

}  // namespace

namespace {

// What to scan and with which engine.
void AddTargetOptions(CLI::App* cmd, ScanArgs* args) {
  cmd->add_option("targets", args->targets,
                  "Addresses, CIDR blocks, ranges (198.18.0.1-8) or host names");
  cmd->add_option("-p,--ports", args->ports, "Ports: 22,80,8000-8100, - for all, T:/U: prefixes");
  cmd->add_option("--top-ports", args->top_ports, "The N most common ports (nmap-services)")
      ->check(CLI::Range(1, 65535));
  cmd->add_flag("--connect,-T", args->connect, "connect() scan (the default; no privileges)");
  cmd->add_flag("--syn", args->syn, "SYN scan with raw frames (root or CAP_NET_RAW)");
  cmd->add_flag("--udp", args->udp, "UDP scan with service payloads (root or CAP_NET_RAW)");
  cmd->add_option("--allow", args->allow, "Widen the allow-list (default loopback) by CIDR")
      ->allow_extra_args(false);  // one CIDR per --allow; the rest are targets
  cmd->add_option("--exclude", args->exclude, "Targets to leave out (comma-separated)");
  cmd->add_option("--input-list", args->input_list, "-iL: read targets from FILE");
}

// Where results go, and the resume state.
void AddOutputOptions(CLI::App* cmd, ScanArgs* args) {
  cmd->add_option("-o,--json-out", args->json_out,
                  "Write open ports as JSON lines (-oJ; - = stdout)");
  cmd->add_option("--xml-out", args->xml_out, "-oX: write nmap-compatible XML (- = stdout)");
  cmd->add_option("--udp-payloads", args->udp_payloads,
                  "UDP: nmap-payloads file (built-in DNS/NTP/SNMP/... payloads otherwise)")
      ->capture_default_str();
  cmd->add_option("--server", args->server,
                  "Report to this server as a scan task (http://HOST:PORT)");
  cmd->add_option("--token", args->token, "Ingest token for --server");
  cmd->add_option("--task", args->task, "Task name (default: the command's targets)");
  cmd->add_option("--resume", args->resume,
                  "State file: an interrupted scan saves where it stopped; the same command with "
                  "it goes on from there");
}

// The SYN and UDP engines.
void AddRawOptions(CLI::App* cmd, ScanArgs* args) {
  cmd->add_option("--rate", args->rate, "SYN/UDP: probes per second (0 = no limit)")
      ->capture_default_str();
  cmd->add_option("--wait-ms", args->wait_ms,
                  "SYN/UDP: wait for replies after each round (ends early when all answered)")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  cmd->add_option("--senders", args->senders,
                  "SYN/UDP: sending threads (0 = one per CPU, at most 4)")
      ->check(CLI::Range(0, 64));
  cmd->add_flag("--tx-ring", args->tx_ring,
                "SYN/UDP: send through a PACKET_MMAP ring instead of sendmmsg()");
  cmd->add_option("--interface", args->interface, "SYN/UDP: send through this interface");
  cmd->add_option("--source-ip", args->source_ip,
                  "SYN/UDP: source address (one per family); a spare address of the link that "
                  "no interface holds keeps replies out of the kernel's TCP stack")
      ->allow_extra_args(false);
  cmd->add_option("--source-mac", args->source_mac,
                  "SYN/UDP: MAC answered for a spare --source-ip (default: derived)");
  cmd->add_option("--router-mac", args->router_mac,
                  "SYN/UDP: next-hop MAC (default: from the neighbour table)");
}

// The connect engine (and --retries of both), --top-ports' file.
void AddConnectOptions(CLI::App* cmd, ScanArgs* args) {
  cmd->add_option("--timeout-ms", args->timeout_ms, "Connect: per-connect timeout")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  cmd->add_option("--retries", args->retries,
                  "Extra tries of a silent port (connect, default 1) or resend rounds (SYN/UDP, "
                  "default 2)")
      ->check(CLI::Range(0, 10));
  cmd->add_option("--max-in-flight", args->max_in_flight, "Connect: connects in flight")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--per-host", args->per_host, "Connect: connects in flight per address")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--nmap-services", args->nmap_services, "nmap-services file for --top-ports")
      ->capture_default_str();
}

// Service and version detection (-sV).
void AddDetectOptions(CLI::App* cmd, ScanArgs* args) {
  cmd->add_flag("--service-version", args->service_version,
                "-sV: name the service, product and version behind each open port");
  cmd->add_option("--version-intensity", args->version_intensity,
                  "-sV: send probes of rarity up to this (nmap's scale)")
      ->check(CLI::Range(0, 9))
      ->capture_default_str();
  cmd->add_flag("--version-light", args->version_light, "-sV: intensity 2");
  cmd->add_flag("--version-all", args->version_all, "-sV: intensity 9 (every probe)");
  cmd->add_option("--version-parallel", args->version_parallel,
                  "-sV: probe connections at once per port")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--version-per-host", args->version_per_host,
                  "-sV: ports of one address detected at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--version-timeout-ms", args->version_timeout_ms,
                  "-sV: the most one port's detection takes")
      ->check(CLI::Range(100, 600000))
      ->capture_default_str();
  cmd->add_option("--service-probes", args->service_probes,
                  "-sV: nmap-service-probes file (built-in probes when unreadable)")
      ->capture_default_str();
}

}  // namespace

void AddScanCommand(CLI::App& app, std::string command_line) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* cmd = app.add_subcommand("scan", "Find open ports (allow-listed targets only)");
  AddTargetOptions(cmd, args.get());
  AddOutputOptions(cmd, args.get());
  AddRawOptions(cmd, args.get());
  AddConnectOptions(cmd, args.get());
  AddDetectOptions(cmd, args.get());
  args->command_line = std::move(command_line);
  cmd->callback([args] {
    StartLogging("scan", false);
    const int rc = RunScan(*args);
    ExitCode() = rc;
  });
}

}  // namespace portatlas::cli
