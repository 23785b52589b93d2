#include "cli/ports_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/exit_code.h"
#include "cli/log_flags.h"
#include "cli/ports_output.h"
#include "cli/risk_kb_file.h"
#include "collect/collector.h"
#include "core/log.h"
#include "inventory/risk_kb.h"
#include "inventory/services_db.h"

namespace portatlas::cli {
namespace {

struct PortsArgs {
  bool json = false;
  std::string backend = "auto";
  std::string proc_root = "/proc";
  std::vector<std::string> netns_dirs = {"/run/netns"};
  std::string risk_kb;  // operator override; default: kSystemRiskKb when it exists
  std::string services = "/etc/services";
  int threads = 2;
  std::vector<std::string> only_netns;
};

int RunPorts(const PortsArgs& args) {
  auto kb = LoadRiskKb(args.risk_kb);
  if (!kb) {
    logging::Logger().error("{}", kb.error().ToString());
    return 2;
  }
  inventory::ServicesDb services;
  if (auto db = inventory::ServicesDb::Load(args.services)) {
    services = std::move(*db);
  } else {
    logging::Logger().warn("{}; service names are left empty", db.error().message());
  }
  auto proc = collect::ProcFs::Open(args.proc_root);
  if (!proc) {
    logging::Logger().error("{}", proc.error().ToString());
    return 1;
  }
  collect::CollectorOptions opts;
  opts.backend = args.backend == "netlink" ? collect::Backend::kNetlink
                 : args.backend == "proc"  ? collect::Backend::kProc
                                           : collect::Backend::kAuto;
  opts.netns_dirs = args.netns_dirs;
  opts.owner_threads = args.threads;
  opts.only_netns = args.only_netns;
  if (::geteuid() != 0) {
    logging::Logger().warn(
        "not root: other namespaces and other users' processes may be "
        "invisible");
  }
  collect::Collector collector(*proc, opts);
  auto snap = collector.Collect();
  if (!snap) {
    logging::Logger().error("{}", snap.error().ToString());
    return 1;
  }
  for (const std::string& w : snap->warnings) logging::Logger().warn("{}", w);

  std::vector<PortRow> rows;
  rows.reserve(snap->sockets.size());
  for (const collect::ListeningSocket& s : snap->sockets) {
    const Proto proto = SockTypeProto(s.type);
    const std::string_view service = services.Name(proto, s.port);
    rows.push_back({&s, service, kb->StatusOf(proto, s.port, service)});
  }
  bool written = true;
  if (args.json) {
    written = WriteJson(rows, stdout);
  } else {
    const std::string table = RenderTable(rows, snap->own_netns);
    written = std::fwrite(table.data(), 1, table.size(), stdout) == table.size();
  }
  if (std::fflush(stdout) != 0 || !written) {
    logging::Logger().error("cannot write output");
    return 1;
  }
  return 0;
}

}  // namespace

void AddPortsCommand(CLI::App& app) {
  auto args = std::make_shared<PortsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "ports", "List every listening TCP and bound UDP socket in every network namespace");
  cmd->add_flag("--json", args->json, "Print one JSON array instead of a table");
  cmd->add_option("--backend", args->backend,
                  "Socket enumeration: netlink sock_diag, /proc/net, or auto (netlink, "
                  "falling back to /proc)")
      ->check(CLI::IsMember({"auto", "netlink", "proc"}))
      ->capture_default_str();
  cmd->add_option("--risk-kb", args->risk_kb,
                  "Risk knowledge base overriding the built-in one (default: "
                  "/etc/portatlas/risk_kb.toml when present)");
  cmd->add_option("--services", args->services, "Services database for port names")
      ->capture_default_str();
  cmd->add_option("--netns-dir", args->netns_dirs,
                  "Directory of bind-mounted namespace files (repeatable)")
      ->capture_default_str();
  cmd->add_option("--netns", args->only_netns,
                  "Only this namespace: ip-netns name, inode, or self (repeatable)");
  cmd->add_option("--threads", args->threads, "Threads for the /proc/PID/fd walk")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--proc-root", args->proc_root, "procfs root (for tests)")
      ->group("")  // hidden
      ->capture_default_str();
  cmd->callback([args]() {
    StartLogging("ports", false);
    const int rc = RunPorts(*args);
    ExitCode() = rc;
  });
}

}  // namespace portatlas::cli
