// `portatlas serve`: the API server on the embedded store.
#ifndef PORTATLAS_CLI_SERVE_COMMAND_H_
#define PORTATLAS_CLI_SERVE_COMMAND_H_

#include <CLI/CLI.hpp>

namespace portatlas::cli {

void AddServeCommand(CLI::App& app);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_SERVE_COMMAND_H_
