// --log-format and --log-level, for every subcommand: each command starts the one logger
// (core/log.h) with them before it does anything else.
#ifndef PORTATLAS_CLI_LOG_FLAGS_H_
#define PORTATLAS_CLI_LOG_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string_view>

namespace portatlas::cli {

// Adds the two options to the main app; they may come before or after the subcommand.
void AddLogFlags(CLI::App& app);

// Starts the logger as "portatlas COMMAND"; timestamps on text lines for the daemons (serve,
// agent), not for one-shot commands.
void StartLogging(std::string_view command, bool timestamps);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_LOG_FLAGS_H_
