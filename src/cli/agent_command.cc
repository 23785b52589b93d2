#include "cli/agent_command.h"

#include <memory>
#include <string>

#include "agent/agent.h"
#include "cli/exit_code.h"
#include "cli/log_flags.h"

namespace portatlas::cli {
namespace {

struct AgentArgs {
  agent::AgentOptions options;
  std::string backend = "auto";
};

void AddIdentityOptions(CLI::App* cmd, agent::AgentOptions& o) {
  cmd->add_option("--state-dir", o.state_dir,
                  "Directory for the agent id, the snapshot counter and a lock")
      ->capture_default_str();
  cmd->add_option("--host-id", o.host_id, "Host id to report (default: /etc/machine-id)");
  cmd->add_option("--host-name", o.host_name, "Host name to report (default: gethostname)");
  cmd->add_option("--host-ip", o.host_ip,
                  "Address to report (default: the first non-loopback IPv4 of an interface "
                  "that is up, else a global IPv6)");
  cmd->add_option("--enterprise-project", o.enterprise_project_id,
                  "Enterprise project id of the reports (default: the server's, \"0\")");
  cmd->add_option("--machine-id-file", o.machine_id_path, "machine-id file (for tests)")
      ->group("")  // hidden
      ->capture_default_str();
}

void AddCollectorOptions(CLI::App* cmd, AgentArgs& args) {
  cmd->add_option("--backend", args.backend,
                  "Socket enumeration: netlink sock_diag, /proc/net, or auto (netlink, "
                  "falling back to /proc)")
      ->check(CLI::IsMember({"auto", "netlink", "proc"}))
      ->capture_default_str();
  cmd->add_option("--netns-dir", args.options.collector.netns_dirs,
                  "Directory of bind-mounted namespace files (repeatable)")
      ->capture_default_str();
  cmd->add_option("--netns", args.options.collector.only_netns,
                  "Only this namespace: ip-netns name, inode, or self (repeatable); a scoped "
                  "agent should also get its own --host-id and --state-dir");
  cmd->add_option("--proc-root", args.options.proc_root, "procfs root (for tests)")
      ->group("")  // hidden
      ->capture_default_str();
}

}  // namespace

void AddAgentCommand(CLI::App& app) {
  auto args = std::make_shared<AgentArgs>();
  agent::AgentOptions& o = args->options;
  CLI::App* cmd =
      app.add_subcommand("agent", "Report this host's listening sockets to a portatlas server");
  cmd->add_option("--server", o.server, "Server URL, http://HOST[:PORT][/PREFIX]")->required();
  cmd->add_option("--token", o.token,
                  "Ingest token from `portatlas token create` (better: the PORTATLAS_TOKEN "
                  "environment variable, which other users cannot read in ps)")
      ->envname("PORTATLAS_TOKEN")
      ->required();
  CLI::Option* once = cmd->add_flag("--once", o.once, "Report once and exit (0 when delivered)");
  cmd->add_option("--interval", o.interval_s, "Seconds between reports")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str()
      ->excludes(once);
  cmd->add_option("--retry-for", o.retry_for_s,
                  "With --once: seconds to keep retrying while the server is unreachable")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();
  AddIdentityOptions(cmd, o);
  AddCollectorOptions(cmd, *args);
  cmd->callback([args]() {
    StartLogging("agent", true);
    args->options.collector.backend = args->backend == "netlink" ? collect::Backend::kNetlink
                                      : args->backend == "proc"  ? collect::Backend::kProc
                                                                 : collect::Backend::kAuto;
    const int rc = agent::RunAgent(args->options);
    ExitCode() = rc;
  });
}

}  // namespace portatlas::cli
