// `portatlas agent`: runs the collector and reports snapshots to a portatlas server.
#ifndef PORTATLAS_CLI_AGENT_COMMAND_H_
#define PORTATLAS_CLI_AGENT_COMMAND_H_

#include <CLI/CLI.hpp>

namespace portatlas::cli {

// Registers the `agent` subcommand on `app`. Its callback runs agent::RunAgent and sets the
// process exit code through CLI11 on failure (1: not delivered, 2: bad configuration).
void AddAgentCommand(CLI::App& app);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_AGENT_COMMAND_H_
