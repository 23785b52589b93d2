// `portatlas flow`: the traffic collector (flow/collector.h), flags only.
#ifndef PORTATLAS_CLI_FLOW_COMMAND_H_
#define PORTATLAS_CLI_FLOW_COMMAND_H_

#include <CLI/CLI.hpp>

namespace portatlas::cli {

void AddFlowCommand(CLI::App& app);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_FLOW_COMMAND_H_
