// portatlas: one binary, subcommands. main() only wires them.
#include <CLI/CLI.hpp>

#include "cli/agent_command.h"
#include "cli/ports_command.h"
#include "cli/serve_command.h"
#include "cli/token_command.h"

int main(int argc, char** argv) {
  CLI::App app{"portatlas: self-hosted open-port asset inventory"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "portatlas 0.1.0");
  portatlas::cli::AddPortsCommand(app);
  portatlas::cli::AddServeCommand(app);
  portatlas::cli::AddAgentCommand(app);
  portatlas::cli::AddTokenCommand(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
