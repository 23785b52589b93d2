// portatlas: one binary, subcommands. main() only wires them.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/agent_command.h"
#include "cli/exit_code.h"
#include "cli/flow_command.h"
#include "cli/import_command.h"
#include "cli/log_flags.h"
#include "cli/ports_command.h"
#include "cli/scan_command.h"
#include "cli/serve_command.h"
#include "cli/token_command.h"

int main(int argc, char** argv) {
  // nmap's multi-letter short options (-oJ, -iL) are not CLI11's; spell them long.
  std::vector<std::string> args(argv, argv + argc);
  std::string command_line;
  for (std::string& a : args) {
    command_line += (command_line.empty() ? "" : " ") + a;
    if (a == "-oJ") a = "--json-out";
    if (a == "-oX") a = "--xml-out";
    if (a == "-iL") a = "--input-list";
    if (a == "-sV") a = "--service-version";
  }
  std::vector<char*> rewritten;
  for (std::string& a : args) rewritten.push_back(a.data());
  argc = static_cast<int>(rewritten.size());
  argv = rewritten.data();

  CLI::App app{"portatlas: self-hosted open-port asset inventory"};
  app.require_subcommand(1);
  app.fallthrough();
  portatlas::cli::AddLogFlags(app);
  app.set_version_flag("--version", "portatlas 0.1.0");
  portatlas::cli::AddPortsCommand(app);
  portatlas::cli::AddServeCommand(app);
  portatlas::cli::AddAgentCommand(app);
  portatlas::cli::AddTokenCommand(app);
  portatlas::cli::AddScanCommand(app, command_line);
  portatlas::cli::AddImportCommand(app);
  portatlas::cli::AddFlowCommand(app);
  CLI11_PARSE(app, argc, argv);
  return portatlas::cli::ExitCode();
}
