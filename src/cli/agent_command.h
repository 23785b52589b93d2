// `portatlas agent`: runs the collector and reports snapshots to the server.
#ifndef PORTATLAS_CLI_AGENT_COMMAND_H_
#define PORTATLAS_CLI_AGENT_COMMAND_H_

#include <CLI/CLI.hpp>

namespace portatlas::cli {

void AddAgentCommand(CLI::App& app);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_AGENT_COMMAND_H_
