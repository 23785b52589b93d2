// `portatlas scan TARGET... [-p SPEC | --top-ports N] [--connect | --syn] [--udp] [--allow CIDR
// ...]
//  [--exclude SPEC] [-iL FILE] [-oJ FILE] [-oX FILE] [--resume FILE]`: port discovery
//  (docs/scan.md).
#ifndef PORTATLAS_CLI_SCAN_COMMAND_H_
#define PORTATLAS_CLI_SCAN_COMMAND_H_

#include <CLI/CLI.hpp>
#include <string>

namespace portatlas::cli {

// `command_line` (the words as typed) goes into the XML output's args.
void AddScanCommand(CLI::App& app, std::string command_line = "");

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_SCAN_COMMAND_H_
