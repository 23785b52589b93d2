// `portatlas import FILE... --server URL --token T [--task NAME] [--format F] [--all-states]`:
// nmap XML (-oX) and masscan JSON (-oJ, -oD) files into the server, one scan task per file
// (docs/scan-tasks.md).
#ifndef PORTATLAS_CLI_IMPORT_COMMAND_H_
#define PORTATLAS_CLI_IMPORT_COMMAND_H_

#include <CLI/CLI.hpp>

namespace portatlas::cli {

void AddImportCommand(CLI::App& app);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_IMPORT_COMMAND_H_
