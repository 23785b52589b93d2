#include "cli/serve_command.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>
#include <toml.hpp>

#include "api/api_service.h"
#include "api/authenticator.h"
#include "api/http_server.h"
#include "cli/data_dir.h"
#include "cli/exit_code.h"
#include "cli/log_flags.h"
#include "cli/risk_kb_file.h"
#include "core/file.h"
#include "core/log.h"
#include "core/text.h"
#include "inventory/ingestor.h"
#include "inventory/traffic.h"

namespace portatlas::cli {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = kDefaultDataDir;
  std::string db;
  std::string config;
  std::string risk_kb;
  std::string services = "/etc/services";
  int threads = 0;                     // one per CPU
  int max_connections = 0;             // 0: the descriptor limit less a reserve
  int max_connections_per_source = 0;  // 0: a quarter of max_connections
  inventory::TrafficRetention traffic;
};

// Applies a TOML config file; flags given on the command line win (`given` names them).
Status ApplyConfig(const std::string& path, const std::set<std::string>& given, ServeArgs* a) {
  auto raw = ReadFileCapped(path, 1 << 20);
  if (!raw) return raw.error().WithContext("config");
  std::istringstream text(*raw);
  // TOML is UTF-8 by definition, and toml11 3.7 overreads on some invalid sequences.
  if (!IsValidUtf8(*raw)) return InvalidArgument(fmt::format("config {}: not valid UTF-8", path));
  try {
    const toml::value root = toml::parse(text, path);
    static const std::set<std::string> kKeys = {"listen",
                                                "data_dir",
                                                "db",
                                                "threads",
                                                "risk_kb",
                                                "services",
                                                "traffic_hourly_days",
                                                "traffic_daily_days"};
    for (const auto& [key, value] : root.as_table()) {
      if (!kKeys.contains(key))
        return InvalidArgument(fmt::format("{}: unknown key '{}'", path, key));
    }
    auto str = [&](const char* key, std::string* out) {
      if (root.contains(key) && !given.contains(key)) *out = toml::find<std::string>(root, key);
    };
    str("listen", &a->listen);
    str("data_dir", &a->data_dir);
    str("db", &a->db);
    str("risk_kb", &a->risk_kb);
    str("services", &a->services);
    if (root.contains("threads") && !given.contains("threads")) {
      a->threads = toml::find<int>(root, "threads");
      if (a->threads < 0 || a->threads > 256)
        return InvalidArgument(path + ": threads must be 0-256");
    }
    for (const auto& [key, out] : {std::pair{"traffic_hourly_days", &a->traffic.hourly_days},
                                   std::pair{"traffic_daily_days", &a->traffic.daily_days}}) {
      if (!root.contains(key) || given.contains(key)) continue;
      *out = toml::find<int64_t>(root, key);
      if (*out < 1 || *out > 3650)
        return InvalidArgument(fmt::format("{}: {} must be 1-3650", path, key));
    }
  } catch (const std::exception& e) {
    return InvalidArgument(fmt::format("config {}: {}", path, e.what()));
  }
  return Status::Ok();
}

Result<std::pair<std::string, uint16_t>> SplitListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("--listen must be HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) return InvalidArgument("--listen: bad port");
  return std::make_pair(host, static_cast<uint16_t>(port));
}

int RunServe(ServeArgs a, const std::set<std::string>& given) {
  auto fail = [](const Status& st) {
    logging::Logger().error("{}", st.ToString());
    return st.kind() == ErrorKind::kInvalidArgument || st.kind() == ErrorKind::kParse ? 2 : 1;
  };
  if (!a.config.empty()) {
    if (Status st = ApplyConfig(a.config, given, &a); !st.ok()) return fail(st);
  }
  auto listen = SplitListen(a.listen);
  if (!listen) return fail(listen.error());
  auto kb = LoadRiskKb(a.risk_kb);
  if (!kb) return fail(kb.error());
  inventory::ServicesDb services;
  if (auto db = inventory::ServicesDb::Load(a.services)) services = std::move(*db);
  auto dir = OpenDataDir(a.data_dir, a.db);
  if (!dir) return fail(dir.error());

  // Signals go to one waiting thread, never to I/O threads mid-request.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  inventory::Ingestor ingestor(*dir->store, *kb, services);
  inventory::TrafficRetentionLoop retention(*dir->store, a.traffic);
  api::Authenticator auth(*dir->store, dir->box, [] { return std::chrono::system_clock::now(); });
  api::ApiService service(*dir->store, ingestor, auth);
  api::HttpServerOptions http_options;
  http_options.threads = a.threads;
  http_options.max_connections = a.max_connections;
  http_options.max_connections_per_source = a.max_connections_per_source;
  http_options.admit = [&service](api::Request& r) { return service.Admit(r); };
  api::HttpServer server([&service](api::Request& r) { return service.Dispatch(r); },
                         std::move(http_options));
  auto port = server.Listen(listen->first, listen->second);
  if (!port) return fail(port.error());
  // Also the first line through the logger, before any descriptor flood: UBSan's vptr check
  // cannot run its first check of a type once the process is out of descriptors.
  logging::Logger().info(
      "listening on http://{}:{} (data in {})",
      listen->first.find(':') != std::string::npos ? "[" + listen->first + "]" : listen->first,
      *port, a.data_dir);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    logging::Logger().info("signal {}, stopping", sig);
    server.Stop();
  });
  server.Run();
  // Run() returns only after Stop(); wake the waiter if it was not the signal that stopped us.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the inventory server and its APIs");
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on")->capture_default_str();
  cmd->add_option("--data-dir", args->data_dir, "Directory for the store and keys")
      ->capture_default_str();
  cmd->add_option("--db", args->db, "Store URL: sqlite:PATH (default DATA_DIR/portatlas.db)");
  cmd->add_option("--config", args->config, "TOML config file (flags override it)");
  cmd->add_option("--risk-kb", args->risk_kb, "Risk knowledge base overriding the built-in one");
  cmd->add_option("--services", args->services, "Services database")->capture_default_str();
  cmd->add_option("--max-connections", args->max_connections,
                  "Connections held at once (0: the descriptor limit less 64); at the cap the "
                  "oldest idle one is closed, or the new one gets 503")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--max-connections-per-source", args->max_connections_per_source,
                  "Connections held at once from one address (0: a quarter of the total)")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "HTTP I/O threads (0: one per CPU)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_option("--traffic-hourly-days", args->traffic.hourly_days,
                  "Days the traffic view keeps hourly records")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
  cmd->add_option("--traffic-daily-days", args->traffic.daily_days,
                  "Days the traffic view keeps daily records")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
  cmd->callback([args, cmd] {
    StartLogging("serve", true);
    std::set<std::string> given;
    for (const char* name : {"listen", "data-dir", "db", "threads", "risk-kb", "services",
                             "traffic-hourly-days", "traffic-daily-days"}) {
      if (cmd->count(std::string("--") + name) > 0) {
        std::string key = name;
        std::replace(key.begin(), key.end(), '-', '_');
        given.insert(key);
      }
    }
    const int rc = RunServe(*args, given);
    ExitCode() = rc;
  });
}

}  // namespace portatlas::cli
