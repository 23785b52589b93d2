#include "cli/flow_command.h"

#include <memory>
#include <set>
#include <string>

#include "cli/exit_code.h"
#include "cli/flow_config.h"
#include "cli/log_flags.h"
#include "core/file.h"
#include "core/log.h"
#include "flow/collector.h"

namespace portatlas::cli {

void AddFlowCommand(CLI::App& app) {
  auto o = std::make_shared<flow::CollectorOptions>();
  CLI::App* cmd = app.add_subcommand(
      "flow", "Collect NetFlow v5/v9 and IPFIX (or read pcap files) into the traffic view");
  auto* listen =
      cmd->add_option("--listen", o->listen, "udp://ADDR:PORT to receive exports on (repeatable)");
  auto* pcap =
      cmd->add_option("--pcap", o->pcap_files, "Capture files to read instead (repeatable)")
          ->check(CLI::ExistingFile)
          ->excludes(listen);
  cmd->add_option("--interface", o->interface,
                  "Capture on this interface instead (live, with nDPI; root)")
      ->excludes(listen)
      ->excludes(pcap);
  cmd->add_option("--server", o->server, "Server URL to ship to, http://HOST[:PORT][/PREFIX]");
  cmd->add_option("--token", o->token,
                  "Ingest token (better: the PORTATLAS_TOKEN environment variable)")
      ->envname("PORTATLAS_TOKEN");
  cmd->add_option("--state-dir", o->state_dir,
                  "Directory of the collector id and the spool of unacknowledged batches")
      ->capture_default_str();
  cmd->add_option("--output", o->output,
                  "Also write every flushed record as a JSON line to this file (- for stdout)");
  cmd->add_option("--internet", o->internet,
                  "CIDR to count as internet even if special-purpose (repeatable)");
  cmd->add_option("--internal", o->internal, "CIDR never to count as internet (repeatable)");
  cmd->add_option("--services", o->services_path, "services(5) file for well-known ports")
      ->capture_default_str();
  cmd->add_option("--rcvbuf", o->rcvbuf_bytes, "UDP receive buffer to ask for, bytes")
      ->check(CLI::Range(65536, 1 << 30))
      ->capture_default_str();
  auto flush_s = std::make_shared<int64_t>(10);
  cmd->add_option("--flush-interval", *flush_s, "Seconds between flushes to the server")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  auto drain_s = std::make_shared<int64_t>(10);
  cmd->add_option("--drain-timeout", *drain_s,
                  "At exit, seconds to wait for the server to acknowledge the last batches")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  auto config = std::make_shared<std::string>();
  cmd->add_option("--config", *config, "TOML config file (flags override it; docs/traffic.md)");
  cmd->callback([o, flush_s, drain_s, config, cmd]() {
    StartLogging("flow", true);
    o->flush_interval_ms = *flush_s * 1000;
    o->drain_timeout_ms = *drain_s * 1000;
    if (!config->empty()) {
      std::set<std::string> given;
      for (const CLI::Option* opt : cmd->get_options()) {
        if (opt->count() > 0) given.insert(opt->get_name().substr(2));  // "--listen" -> "listen"
      }
      auto text = ReadFileCapped(*config, 1 << 20);
      Status st = text ? ApplyFlowConfig(*text, *config, given, o.get()) : text.error();
      if (!st.ok()) {
        logging::Logger().error("{}", st.message());
        ExitCode() = 2;
        return;
      }
    }
    ExitCode() = flow::RunCollector(*o);
  });
}

}  // namespace portatlas::cli
