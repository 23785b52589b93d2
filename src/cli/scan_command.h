// `portatlas scan TARGET... [-p SPEC | --top-ports N] [--connect] [--allow CIDR ...]
//  [--exclude SPEC] [-iL FILE] [-oJ FILE]`: port discovery (docs/scan.md).
#ifndef PORTATLAS_CLI_SCAN_COMMAND_H_
#define PORTATLAS_CLI_SCAN_COMMAND_H_

#include <CLI/CLI.hpp>

namespace portatlas::cli {

void AddScanCommand(CLI::App& app);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_SCAN_COMMAND_H_
