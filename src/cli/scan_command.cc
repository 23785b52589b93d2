#include "cli/scan_command.h"

#include <fmt/format.h>
#include <openssl/sha.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <unordered_set>

#include "cli/exit_code.h"
#include "cli/log_flags.h"
#include "core/json_writer.h"
#include "core/log.h"
#include "scan/connect_scanner.h"
#include "scan/detect/detector.h"
#include "scan/detect/service_probes.h"
#include "scan/formats/nmap_xml_writer.h"
#include "scan/keyed.h"
#include "scan/ports.h"
#include "scan/raw_scanner.h"
#include "scan/record.h"
#include "scan/targets.h"
#include "scan/udp/udp_payloads.h"
#include "scan/upload/task_uploader.h"

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

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(fmt::format("cannot read {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

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

// Where results go: text or JSON lines, and nmap XML. Called from the receive thread of a raw
// scan and from the workers of a connect scan, so everything is under one lock.
class ResultSink {
 public:
  Status Open(const std::string& json_path, bool append) {
    if (json_path.empty()) return Status::Ok();
    json_.reset(json_path == "-" ? fdopen(dup(STDOUT_FILENO), "w")
                                 : fopen(json_path.c_str(), append ? "a" : "w"));
    if (!json_) return ErrnoStatus(errno, "open " + json_path);
    return Status::Ok();
  }

  Status OpenXml(const std::string& path, const scan::NmapRunHeader& header,
                 scan::NmapXmlWriter::ServiceTable names) {
    if (path.empty()) return Status::Ok();
    xml_file_.reset(path == "-" ? fdopen(dup(STDOUT_FILENO), "w") : fopen(path.c_str(), "w"));
    if (!xml_file_) return ErrnoStatus(errno, "open " + path);
    xml_ = std::make_unique<scan::NmapXmlWriter>(xml_file_.get(), std::move(names));
    return xml_->Begin(header);
  }

  Status CloseXml(double elapsed_s, uint64_t hosts_total) {
    if (!xml_) return Status::Ok();
    scan::NmapRunStats st;
    st.end_s = EpochMs() / 1000;
    st.elapsed_s = elapsed_s;
    st.hosts_up = up_.size();
    st.hosts_total = hosts_total;
    st.hosts_down = hosts_total - std::min<uint64_t>(hosts_total, up_.size());
    Status status = xml_->End(st);
    xml_.reset();
    if (fclose(xml_file_.release()) != 0 && status.ok()) status = ErrnoStatus(errno, "write XML");
    return status;
  }

  void SetUploader(scan::TaskUploader* uploader) { uploader_ = uploader; }
  // With a detector, open ports (and UDP ports that may be open) go to it first and are written
  // when it has named their service.
  void SetDetector(scan::Detector* detector) { detector_ = detector; }

  void Add(const scan::PortResult& r) {
    const bool replied = r.state == scan::PortState::kOpen || r.state == scan::PortState::kClosed ||
                         (r.state == scan::PortState::kFiltered && r.reason != "no-response");
    // Open ports, and UDP ports that may be open, are listed; closed ones only counted.
    const bool listed =
        r.state == scan::PortState::kOpen || r.state == scan::PortState::kOpenFiltered;
    if (!listed && !(xml_ && r.state == scan::PortState::kClosed) && !replied) return;
    scan::ScanRecord rec;
    rec.ip = r.ip;
    rec.proto = r.proto;
    rec.port = r.port;
    rec.state = std::string(scan::PortStateName(r.state));
    rec.reason = std::string(r.reason);
    rec.updated_at_ms = EpochMs();
    {
      std::lock_guard lock(mu_);
      if (replied) up_.insert(ToAddr(r.ip));
      if (r.state == scan::PortState::kOpen) ++open_;
    }
    if (listed && detector_ != nullptr) {
      detector_->Add(std::move(rec));
      return;
    }
    Emit(std::move(rec));
  }

  // Writes a record: XML, the task, JSON lines or text. Any thread.
  void Emit(scan::ScanRecord rec) {
    const bool listed = rec.state == "open" || rec.state == "open|filtered";
    std::lock_guard lock(mu_);
    if (xml_ && (listed || rec.state == "closed")) xml_->AddRecord(rec);
    if (!listed) return;
    if (uploader_ != nullptr) uploader_->Add(rec);
    if (!json_) {
      std::string text =
          fmt::format("{} {}/{} {}", rec.ip.ToString(), rec.port, ProtoName(rec.proto), rec.state);
      for (const std::string* f : {&rec.service, &rec.product, &rec.version}) {
        if (!f->empty()) text += " " + *f;
      }
      if (!rec.info.empty()) text += " (" + rec.info + ")";
      fmt::print("{}\n", text);
      return;
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    auto str = [&w](const char* key, const std::string& value) {
      w.Key(key);
      w.String(value.data(), static_cast<unsigned>(value.size()));
    };
    w.StartObject();
    str("ip", rec.ip.ToString());
    str("protocol", std::string(ProtoName(rec.proto)));
    w.Key("port");
    w.Uint(rec.port);
    str("state", rec.state);
    str("reason", rec.reason);
    w.Key("updated_at");
    w.Int64(rec.updated_at_ms);
    // Service detection's fields, when it ran and found them.
    const std::pair<const char*, const std::string*> fields[] = {
        {"service", &rec.service}, {"product", &rec.product}, {"version", &rec.version},
        {"info", &rec.info},       {"cpe", &rec.cpe},         {"banner_hash", &rec.banner_hash}};
    for (const auto& [key, value] : fields) {
      if (!value->empty()) str(key, *value);
    }
    if (!rec.tls.empty()) {
      w.Key("tls");
      w.RawValue(rec.tls.data(), rec.tls.size(), rapidjson::kObjectType);
    }
    w.EndObject();
    fmt::print(json_.get(), "{}\n", buf.GetString());
  }

  uint64_t open() {
    std::lock_guard lock(mu_);
    return open_;
  }
  void Flush() {
    std::lock_guard lock(mu_);
    if (json_) fflush(json_.get());
  }

 private:
  static std::string ToAddr(const IpAddr& ip) {
    return std::string(reinterpret_cast<const char*>(ip.bytes.data()), 16) +
           (ip.family == Family::kIpv4 ? "4" : "6");
  }

  std::mutex mu_;
  std::unique_ptr<FILE, int (*)(FILE*)> json_{nullptr, fclose};
  std::unique_ptr<FILE, int (*)(FILE*)> xml_file_{nullptr, fclose};
  std::unique_ptr<scan::NmapXmlWriter> xml_;
  std::unordered_set<std::string> up_;  // hosts that answered at all
  scan::TaskUploader* uploader_ = nullptr;
  scan::Detector* detector_ = nullptr;
  uint64_t open_ = 0;
};

// The --resume file: where an interrupted scan stopped, and the key of its probe order.
struct ResumeState {
  std::string fingerprint;  // of the targets, ports and modes: a resume must be the same scan
  uint64_t seed = 0;
  uint64_t tcp_next = 0;
  uint64_t udp_next = 0;
};

std::string Fingerprint(const scan::TargetSet& targets, const std::vector<uint16_t>& tcp,
                        const std::vector<uint16_t>& udp, std::string_view tcp_mode) {
  std::string text(tcp_mode);
  for (const scan::AddrRange& r : targets.ranges()) text += "|" + scan::RangeToString(r);
  text += "|T";
  for (uint16_t p : tcp) text += fmt::format(",{}", p);
  text += "|U";
  for (uint16_t p : udp) text += fmt::format(",{}", p);
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
  std::string hex;
  for (unsigned char c : d) hex += fmt::format("{:02x}", c);
  return hex;
}

Result<std::optional<ResumeState>> LoadResume(const std::string& path) {
  if (access(path.c_str(), F_OK) != 0) return std::optional<ResumeState>();
  PA_ASSIGN_OR_RETURN(text, ReadFile(path));
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  auto bad = [&] {
    return InvalidArgument(fmt::format("{} is not a portatlas resume file", path));
  };
  if (d.HasParseError() || !d.IsObject()) return bad();
  ResumeState s;
  for (const char* k : {"fingerprint", "seed", "tcp_next", "udp_next"}) {
    if (!d.HasMember(k)) return bad();
  }
  if (!d["fingerprint"].IsString() || !d["seed"].IsUint64() || !d["tcp_next"].IsUint64() ||
      !d["udp_next"].IsUint64()) {
    return bad();
  }
  s.fingerprint = d["fingerprint"].GetString();
  s.seed = d["seed"].GetUint64();
  s.tcp_next = d["tcp_next"].GetUint64();
  s.udp_next = d["udp_next"].GetUint64();
  return std::optional<ResumeState>(s);
}

Status SaveResume(const std::string& path, const ResumeState& s) {
  const std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr) return ErrnoStatus(errno, "write " + tmp);
  fmt::print(f, "{{\"fingerprint\":\"{}\",\"seed\":{},\"tcp_next\":{},\"udp_next\":{}}}\n",
             s.fingerprint, s.seed, s.tcp_next, s.udp_next);
  if (fclose(f) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoStatus(errno, "write " + path);
  }
  return Status::Ok();
}

// The progress line on a terminal: rate, done/total, ETA, found.
class Progress {
 public:
  Progress(std::string phase, ResultSink& sink, scan::TaskUploader* uploader, uint64_t offset,
           uint64_t all)
      : phase_(std::move(phase)),
        sink_(sink),
        uploader_(uploader),
        offset_(offset),
        all_(all),
        tty_(isatty(STDERR_FILENO) == 1) {}
  void operator()(uint64_t done, uint64_t total) {
    // The task's progress counts the probes of every phase (TCP, then UDP).
    if (uploader_ != nullptr) uploader_->Progress(offset_ + done, all_);
    if (!tty_) return;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = s > 0 ? static_cast<double>(done) / s : 0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    const double pct =
        total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0;
    fmt::print(stderr, "\r{}: {:.0f} probes/s, {}/{} ({:.1f}%), ETA {:.0f} s, {} open   ", phase_,
               rate, done, total, pct, eta, sink_.open());
  }
  void End() {
    if (tty_) fmt::print(stderr, "\n");
  }

 private:
  std::string phase_;
  ResultSink& sink_;
  scan::TaskUploader* uploader_;
  uint64_t offset_;
  uint64_t all_;
  bool tty_;
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

int RunScan(const ScanArgs& a) {
  if (a.syn && a.connect) return Fail(InvalidArgument("choose one of --connect and --syn"));
  std::vector<std::string> specs = a.targets;
  if (!a.input_list.empty()) {
    auto text = ReadFile(a.input_list);
    if (!text) return Fail(text.error());
    for (std::string& s : scan::SplitTargetList(*text)) specs.push_back(std::move(s));
  }
  if (specs.empty()) return Fail(InvalidArgument("no targets (give TARGET... or -iL FILE)"));
  auto targets = scan::ParseTargets(specs, scan::SystemResolve);
  if (!targets) return Fail(targets.error());
  if (!a.exclude.empty()) {
    auto excluded = scan::ParseTargets({a.exclude}, scan::SystemResolve, ~uint64_t{0});
    if (!excluded) return Fail(excluded.error());
    targets->Subtract(*excluded);
  }
  // The allow-list: loopback, widened only by the operator. Checked before any packet.
  scan::TargetSet allowed = scan::LoopbackAllowList();
  if (!a.allow.empty()) {
    auto extra = scan::ParseTargets(a.allow, scan::SystemResolve, ~uint64_t{0});
    if (!extra) return Fail(extra.error());
    allowed.Add(*extra);
  }
  if (auto outside = allowed.FirstUncovered(*targets)) {
    return Fail(PermissionDenied(fmt::format(
        "target {} is outside the allow-list (loopback{}); widen it with --allow CIDR if you "
        "are authorised to scan it",
        scan::RangeToString(*outside), a.allow.empty() ? "" : " and --allow")));
  }
  // TCP by connect() unless --syn; none when only --udp is asked for.
  const bool tcp = a.syn || a.connect || !a.udp;
  std::vector<uint16_t> tcp_ports, udp_ports;
  if (tcp) {
    auto p = PortsFor(a, "tcp");
    if (!p) return Fail(p.error());
    tcp_ports = std::move(*p);
  }
  if (a.udp) {
    auto p = PortsFor(a, "udp");
    if (!p) return Fail(p.error());
    udp_ports = std::move(*p);
  }
  if (tcp_ports.empty() && udp_ports.empty()) return Fail(InvalidArgument("no ports to scan"));
  auto raw_options = RawOptionsFrom(a);
  if (!raw_options) return Fail(raw_options.error());

  ResumeState resume;
  const std::string tcp_mode = !tcp ? "" : a.syn ? "syn" : "connect";
  resume.fingerprint = Fingerprint(*targets, tcp_ports, udp_ports, tcp_mode);
  bool resumed = false;
  if (!a.resume.empty()) {
    auto loaded = LoadResume(a.resume);
    if (!loaded) return Fail(loaded.error());
    if (*loaded) {
      if ((*loaded)->fingerprint != resume.fingerprint) {
        return Fail(InvalidArgument(fmt::format(
            "{} belongs to another scan (targets, ports or scan types differ)", a.resume)));
      }
      resume = **loaded;
      resumed = true;
      logging::Logger().info("resuming from {} (tcp {}, udp {})", a.resume, resume.tcp_next,
                             resume.udp_next);
    }
  }
  if (resume.seed == 0) resume.seed = raw_options->seed = scan::ProbeKey::RandomSeed();
  raw_options->seed = resume.seed;

  ResultSink sink;
  if (Status st = sink.Open(a.json_out, resumed); !st.ok()) return Fail(st);
  if (!a.xml_out.empty()) {
    scan::NmapRunHeader header;
    header.args = a.command_line;
    header.version = "0.1.0";
    header.start_s = EpochMs() / 1000;
    if (tcp) header.scans.push_back({a.syn ? "syn" : "connect", Proto::kTcp, tcp_ports});
    if (a.udp) header.scans.push_back({"udp", Proto::kUdp, udp_ports});
    auto services = ReadFile(a.nmap_services);
    auto tcp_names = std::make_shared<std::vector<std::string>>(
        scan::ServiceNames(services ? *services : "", "tcp"));
    auto udp_names = std::make_shared<std::vector<std::string>>(
        scan::ServiceNames(services ? *services : "", "udp"));
    Status st = sink.OpenXml(a.xml_out, header, [tcp_names, udp_names](Proto p, uint16_t port) {
      return (p == Proto::kTcp ? *tcp_names : *udp_names)[port];
    });
    if (!st.ok()) return Fail(st);
  }
  const uint64_t tcp_probes = targets->Size() * tcp_ports.size();
  const uint64_t all_probes = tcp_probes + targets->Size() * udp_ports.size();
  std::unique_ptr<scan::TaskUploader> uploader;
  if (!a.server.empty()) {
    if (a.token.empty()) return Fail(InvalidArgument("--server needs --token"));
    scan::TaskSpec spec;
    spec.name = a.task.empty() ? fmt::format("scan {}", fmt::join(specs, " ")) : a.task;
    if (spec.name.size() > 256) spec.name.resize(256);
    spec.kind = !tcp    ? scan::TaskKind::kUdp
                : a.syn ? scan::TaskKind::kSyn
                        : scan::TaskKind::kConnect;
    spec.targets = fmt::format("{}", fmt::join(specs, " ")).substr(0, 65536);
    spec.ports = a.ports.empty() ? fmt::format("top {}", a.top_ports > 0 ? a.top_ports : 1000)
                                 : a.ports.substr(0, 65536);
    spec.probes_total = all_probes;
    auto started = scan::TaskUploader::Start(a.server, a.token, spec);
    if (!started) return Fail(started.error().WithContext(a.server));
    uploader = std::move(*started);
    sink.SetUploader(uploader.get());
    logging::Logger().info("reporting to {} as task {}", a.server, uploader->task_id());
  }
  // -sV: the probe database, and a detector that takes open ports as the scan finds them.
  std::optional<scan::ProbeDb> probe_db;
  std::unique_ptr<scan::Detector> detector;
  if (a.service_version) {
    probe_db = scan::ProbeDb::Load(a.service_probes);
    const auto& warnings = probe_db->warnings();
    for (size_t i = 0; i < warnings.size() && i < 3; ++i) {
      logging::Logger().warn("{}", warnings[i]);
    }
    if (warnings.size() > 3) {
      logging::Logger().warn("... {} more warnings about the probes", warnings.size() - 3);
    }
    scan::DetectOptions o;
    o.intensity = a.version_all ? 9 : a.version_light ? 2 : a.version_intensity;
    o.parallel = a.version_parallel;
    o.per_host = a.version_per_host;
    o.port_timeout_ms = a.version_timeout_ms;
    o.stop = &g_stop;
    auto started = scan::Detector::Start(*probe_db, o,
                                         [&sink](scan::ScanRecord r) { sink.Emit(std::move(r)); });
    if (!started) return Fail(started.error());
    detector = std::move(*started);
    sink.SetDetector(detector.get());
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const auto start = std::chrono::steady_clock::now();
  auto on_result = [&](const scan::PortResult& r) { sink.Add(r); };
  std::string summary;
  bool interrupted = false;

  if (tcp && a.syn) {
    Progress progress("SYN", sink, uploader.get(), 0, all_probes);
    scan::RawOptions o = *raw_options;
    o.mode = scan::RawMode::kSyn;
    o.start_index = resume.tcp_next;
    auto st = scan::RawScan(*targets, tcp_ports, o, on_result, std::ref(progress));
    progress.End();
    if (!st) return Fail(st.error());
    resume.tcp_next = st->next_index;
    interrupted = st->interrupted;
    summary += fmt::format(
        "tcp (SYN via {}): {} open, {} closed, {} filtered; {} probes ({} resent) in {:.2f} s; ",
        st->interface, st->open, st->closed, st->filtered, st->frames, st->resent,
        st->send_seconds);
  } else if (tcp) {
    Progress progress("connect", sink, uploader.get(), 0, all_probes);
    scan::ConnectOptions o;
    o.timeout_ms = a.timeout_ms;
    o.retries = a.retries >= 0 ? a.retries : 1;
    o.max_in_flight = a.max_in_flight;
    o.per_host = a.per_host;
    o.start_index = resume.tcp_next;
    o.stop = &g_stop;
    auto st = scan::ConnectScan(*targets, tcp_ports, o, on_result, std::ref(progress));
    progress.End();
    if (!st) return Fail(st.error());
    resume.tcp_next = st->next_index;
    interrupted = st->interrupted;
    summary += fmt::format("tcp (connect): {} open, {} closed, {} filtered ({} connects); ",
                           st->open, st->closed, st->filtered, st->probes);
  }
  if (!udp_ports.empty() && !interrupted) {
    Progress progress("UDP", sink, uploader.get(), tcp_probes, all_probes);
    scan::RawOptions o = *raw_options;
    o.mode = scan::RawMode::kUdp;
    o.start_index = resume.udp_next;
    const scan::UdpPayloads payloads = scan::UdpPayloads::Load(a.udp_payloads);
    for (size_t i = 0; i < payloads.warnings().size() && i < 3; ++i) {
      logging::Logger().warn("{}", payloads.warnings()[i]);
    }
    o.udp_payload = [&payloads](uint16_t port, int round) {
      const auto all = payloads.ForPort(port);
      const std::vector<uint8_t>& p = all[static_cast<size_t>(round) % all.size()];
      return std::span<const uint8_t>(p.data(), p.size());
    };
    auto st = scan::RawScan(*targets, udp_ports, o, on_result, std::ref(progress));
    progress.End();
    if (!st) return Fail(st.error());
    resume.udp_next = st->next_index;
    interrupted = st->interrupted;
    summary += fmt::format("udp: {} open, {} open|filtered, {} closed, {} filtered; ", st->open,
                           st->open_filtered, st->closed, st->filtered);
  }
  if (detector) {
    const auto t0 = std::chrono::steady_clock::now();
    const scan::DetectStats st = detector->Finish();
    sink.SetDetector(nullptr);
    summary += fmt::format(
        "service detection: {} ports, {} identified, {} TLS, {} probes, {:.2f} s after the port "
        "scan; ",
        st.ports, st.identified, st.tls_handshakes, st.probes_sent,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  sink.Flush();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (Status st = sink.CloseXml(s, targets->Size()); !st.ok()) return Fail(st);
  if (uploader) {
    sink.SetUploader(nullptr);
    Status st = uploader->Finish(!interrupted, interrupted ? "interrupted" : "");
    if (!st.ok()) return Fail(st.WithContext(fmt::format("task {}", uploader->task_id())));
  }
  logging::Logger().info("{} addresses in {:.2f} s: {}", targets->Size(), s,
                         summary.substr(0, summary.size() - 2));
  if (interrupted) {
    if (a.resume.empty()) {
      logging::Logger().info("interrupted (give --resume FILE to be able to go on)");
      return 130;
    }
    if (Status st = SaveResume(a.resume, resume); !st.ok()) return Fail(st);
    logging::Logger().info(
        "interrupted; state saved to {} (run the same command to "
        "go on)",
        a.resume);
    return 130;
  }
  if (!a.resume.empty()) unlink(a.resume.c_str());  // finished: nothing to resume
  return 0;
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
