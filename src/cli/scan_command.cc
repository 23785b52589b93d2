#include "cli/scan_command.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "scan/connect_scanner.h"
#include "scan/ports.h"
#include "scan/targets.h"

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
  int timeout_ms = 1000;
  int retries = 1;
  int max_in_flight = 2048;
  int per_host = 512;
  std::string nmap_services = "/usr/share/nmap/nmap-services";
};

int Fail(const Status& st) {
  fmt::print(stderr, "portatlas scan: {}\n", st.message());
  return 2;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(fmt::format("cannot read {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The ports to scan: -p, else --top-ports N, else nmap's default of the top 1000.
Result<std::vector<uint16_t>> TcpPorts(const ScanArgs& a) {
  if (!a.ports.empty()) {
    PA_ASSIGN_OR_RETURN(lists, scan::ParsePortSpec(a.ports));
    std::vector<uint16_t> out = lists.any;
    out.insert(out.end(), lists.tcp.begin(), lists.tcp.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  auto services = ReadFile(a.nmap_services);
  if (!services) {
    return NotFound(fmt::format("no -p given and {} is unreadable (install nmap-common or pass -p)",
                                a.nmap_services));
  }
  return scan::TopPorts(*services, "tcp", a.top_ports > 0 ? a.top_ports : 1000);
}

int64_t EpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int RunScan(const ScanArgs& a) {
  if (a.syn) return Fail(Unavailable("--syn is not available yet; use --connect"));
  if (a.udp) return Fail(Unavailable("--udp is not available yet"));
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
    auto excluded = scan::ParseTargets({a.exclude}, scan::SystemResolve);
    if (!excluded) return Fail(excluded.error());
    targets->Subtract(*excluded);
  }
  // The allow-list: loopback, widened only by the operator. Checked before any packet.
  scan::TargetSet allowed = scan::LoopbackAllowList();
  if (!a.allow.empty()) {
    auto extra = scan::ParseTargets(a.allow, scan::SystemResolve);
    if (!extra) return Fail(extra.error());
    allowed.Add(*extra);
  }
  if (auto outside = allowed.FirstUncovered(*targets)) {
    return Fail(PermissionDenied(fmt::format(
        "target {} is outside the allow-list (loopback{}); widen it with --allow CIDR if you "
        "are authorised to scan it",
        scan::RangeToString(*outside), a.allow.empty() ? "" : " and --allow")));
  }
  auto ports = TcpPorts(a);
  if (!ports) return Fail(ports.error());

  std::unique_ptr<FILE, int (*)(FILE*)> json(nullptr, fclose);
  if (!a.json_out.empty()) {
    json.reset(a.json_out == "-" ? fdopen(dup(STDOUT_FILENO), "w")
                                 : fopen(a.json_out.c_str(), "w"));
    if (!json) return Fail(ErrnoStatus(errno, "open " + a.json_out));
  }
  const bool tty = isatty(STDERR_FILENO) == 1;
  const auto start = std::chrono::steady_clock::now();
  scan::ConnectOptions o;
  o.timeout_ms = a.timeout_ms;
  o.retries = a.retries;
  o.max_in_flight = a.max_in_flight;
  o.per_host = a.per_host;
  auto stats = scan::ConnectScan(
      *targets, *ports, o,
      [&](const scan::PortResult& r) {
        if (r.state != scan::PortState::kOpen) return;
        if (!json) {
          fmt::print("{} {}/tcp open\n", r.ip.ToString(), r.port);
          return;
        }
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        w.StartObject();
        const std::string ip = r.ip.ToString();
        w.Key("ip");
        w.String(ip.data(), static_cast<unsigned>(ip.size()));
        w.Key("protocol");
        w.String("tcp");
        w.Key("port");
        w.Uint(r.port);
        w.Key("state");
        const std::string_view state = scan::PortStateName(r.state);
        w.String(state.data(), static_cast<unsigned>(state.size()));
        w.Key("reason");
        w.String(r.reason.data(), static_cast<unsigned>(r.reason.size()));
        w.Key("updated_at");
        w.Int64(EpochMs());
        w.EndObject();
        fmt::print(json.get(), "{}\n", buf.GetString());
      },
      [&](uint64_t done, uint64_t total) {
        if (!tty) return;
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double rate = s > 0 ? static_cast<double>(done) / s : 0;
        const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
        fmt::print(stderr, "\r{:.0f} probes/s, {}/{} done, ETA {:.0f} s   ", rate, done, total,
                   eta);
      });
  if (tty) fmt::print(stderr, "\n");
  if (!stats) return Fail(stats.error());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(stderr,
             "portatlas scan: {} addresses x {} ports in {:.2f} s: {} open, {} closed, {} "
             "filtered ({} connects)\n",
             targets->Size(), ports->size(), s, stats->open, stats->closed, stats->filtered,
             stats->probes);
  return 0;
}

}  // namespace

void AddScanCommand(CLI::App& app) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* cmd = app.add_subcommand("scan", "Find open ports (allow-listed targets only)");
  cmd->add_option("targets", args->targets,
                  "Addresses, CIDR blocks, ranges (198.18.0.1-8) or host names");
  cmd->add_option("-p,--ports", args->ports, "Ports: 22,80,8000-8100, - for all, T:/U: prefixes");
  cmd->add_option("--top-ports", args->top_ports, "The N most common ports (nmap-services)")
      ->check(CLI::Range(1, 65535));
  cmd->add_flag("--connect,-T", args->connect, "connect() scan (the default; no privileges)");
  cmd->add_flag("--syn", args->syn, "SYN scan (root)");
  cmd->add_flag("--udp", args->udp, "UDP scan");
  cmd->add_option("--allow", args->allow, "Widen the allow-list (default loopback) by CIDR")
      ->allow_extra_args(false);  // one CIDR per --allow; the rest are targets
  cmd->add_option("--exclude", args->exclude, "Targets to leave out (comma-separated)");
  cmd->add_option("--input-list", args->input_list, "-iL: read targets from FILE");
  cmd->add_option("-o,--json-out", args->json_out,
                  "Write open ports as JSON lines (-oJ; - = stdout)");
  cmd->add_option("--timeout-ms", args->timeout_ms, "Per-connect timeout")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  cmd->add_option("--retries", args->retries, "Extra tries of a silent port")
      ->check(CLI::Range(0, 10))
      ->capture_default_str();
  cmd->add_option("--max-in-flight", args->max_in_flight, "Connects in flight")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--per-host", args->per_host, "Connects in flight per address")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--nmap-services", args->nmap_services, "nmap-services file for --top-ports")
      ->capture_default_str();
  cmd->callback([args] {
    const int rc = RunScan(*args);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace portatlas::cli
