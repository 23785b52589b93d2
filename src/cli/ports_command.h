// `portatlas ports`: the host collector as a local command.
#ifndef PORTATLAS_CLI_PORTS_COMMAND_H_
#define PORTATLAS_CLI_PORTS_COMMAND_H_

#include <CLI/CLI.hpp>

namespace portatlas::cli {

// Registers the `ports` subcommand on `app`. Its callback prints the table or JSON and sets
// the process exit code through CLI11 on failure.
void AddPortsCommand(CLI::App& app);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_PORTS_COMMAND_H_
