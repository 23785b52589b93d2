// Placeholder being replaced by the agent implementation (issue #3).
#include "cli/agent_command.h"

namespace portatlas::cli {

void AddAgentCommand(CLI::App& app) {
  app.add_subcommand("agent", "Report this host's listening sockets to a portatlas server");
}

}  // namespace portatlas::cli
