// `portatlas token create|list|revoke`: API credentials in a data directory.
#ifndef PORTATLAS_CLI_TOKEN_COMMAND_H_
#define PORTATLAS_CLI_TOKEN_COMMAND_H_

#include <CLI/CLI.hpp>

namespace portatlas::cli {

void AddTokenCommand(CLI::App& app);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_TOKEN_COMMAND_H_
