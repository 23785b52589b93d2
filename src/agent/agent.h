// `portatlas agent`: the collector, the host's identity and the Reporter wired together.
#ifndef PORTATLAS_AGENT_AGENT_H_
#define PORTATLAS_AGENT_AGENT_H_

#include <cstdint>
#include <string>

#include "collect/collector.h"

namespace portatlas::agent {

struct AgentOptions {
  std::string server;  // http://HOST[:PORT][/PREFIX] (server_url.h)
  std::string token;   // X-Auth-Token
  bool once = false;   // one report, then exit
  int64_t interval_s = 30;
  int64_t retry_for_s = 30;  // --once: how long to keep retrying
  std::string state_dir = "/var/lib/portatlas/agent";
  std::string host_id;                // "" = from machine_id_path
  std::string host_name;              // "" = gethostname(2), read at each report
  std::string host_ip;                // "" = chosen from the interfaces at each report (identity.h)
  std::string enterprise_project_id;  // "" = the server's default
  std::string machine_id_path = "/etc/machine-id";
  std::string proc_root = "/proc";
  collect::CollectorOptions collector;
};

// Runs the agent: checks the options, opens the state directory, then reports once (`once`)
// or every interval until SIGINT or SIGTERM. Logs one line per report to stderr. Returns the
// process exit code: 0 on success or a clean stop; 1 when the report was not delivered or the
// collector failed (--once); 2 for bad configuration (URL, token, identity, state directory).
int RunAgent(const AgentOptions& options);

}  // namespace portatlas::agent

#endif  // PORTATLAS_AGENT_AGENT_H_
