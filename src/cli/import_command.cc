#include "cli/import_command.h"

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/exit_code.h"
#include "cli/log_flags.h"
#include "core/file.h"
#include "core/log.h"
#include "scan/formats/masscan_json_reader.h"
#include "scan/formats/nmap_xml_reader.h"
#include "scan/upload/task_uploader.h"

namespace portatlas::cli {
namespace {

struct ImportArgs {
  std::vector<std::string> files;
  std::string format = "auto";
  std::string server;
  std::string token;
  std::string task;
  bool all_states = false;
};

int Fail(const std::string& what) {
  logging::Logger().error("{}", what);
  return 2;
}

// "nmap-xml" or "masscan-json" from the first visible character: '<' is XML, '[' or '{' JSON.
std::string Sniff(std::string_view text) {
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '<') return "nmap-xml";
    if (c == '[' || c == '{') return "masscan-json";
    break;
  }
  return "";
}

int ImportOne(const ImportArgs& a, const std::string& path) {
  auto text = ReadFileCapped(path, scan::kMaxImportBytes);
  if (!text) return Fail(text.error().message());
  std::string format = a.format == "auto" ? Sniff(*text) : a.format;
  if (format.empty()) {
    return Fail(fmt::format("{}: neither nmap XML nor masscan JSON (give --format)", path));
  }
  scan::ImportOptions options;
  options.keep_all_states = a.all_states;
  auto imported = format == "nmap-xml" ? scan::ReadNmapXml(*text, options)
                                       : scan::ReadMasscanJson(*text, options);
  if (!imported) return Fail(fmt::format("{}: {}", path, imported.error().message()));

  scan::TaskSpec spec;
  spec.name = a.task.empty() ? fmt::format("import {}", path) : a.task;
  if (spec.name.size() > 256) spec.name.resize(256);
  spec.kind = format == "nmap-xml" ? scan::TaskKind::kImportNmap : scan::TaskKind::kImportMasscan;
  spec.targets = imported->args.substr(0, 65536);
  auto uploader = scan::TaskUploader::Start(a.server, a.token, spec);
  if (!uploader) return Fail(fmt::format("{}: {}", a.server, uploader.error().message()));
  const uint64_t n = imported->records.size();
  for (const scan::ScanRecord& r : imported->records) (*uploader)->Add(r);
  (*uploader)->Progress(n, n);
  if (Status st = (*uploader)->Finish(true); !st.ok()) {
    return Fail(fmt::format("{}: task {}: {}", path, (*uploader)->task_id(), st.message()));
  }
  fmt::print("{}: {} {} records into task {}{}\n", path, n, format, (*uploader)->task_id(),
             imported->skipped > 0
                 ? fmt::format(" ({} ports of other protocols skipped)", imported->skipped)
                 : "");
  return 0;
}

}  // namespace

void AddImportCommand(CLI::App& app) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand("import", "Import nmap XML or masscan JSON as scan tasks");
  cmd->add_option("files", args->files, "nmap -oX or masscan -oJ/-oD files")->required();
  cmd->add_option("--format", args->format, "auto, nmap-xml or masscan-json")
      ->check(CLI::IsMember({"auto", "nmap-xml", "masscan-json"}))
      ->capture_default_str();
  cmd->add_option("--server", args->server, "Server URL, e.g. http://127.0.0.1:8080")->required();
  cmd->add_option("--token", args->token, "Ingest token (portatlas token create)")->required();
  cmd->add_option("--task", args->task, "Task name (default: import FILE)");
  cmd->add_flag("--all-states", args->all_states,
                "Keep closed and filtered ports too (default: open and open|filtered)");
  cmd->callback([args] {
    StartLogging("import", false);
    for (const std::string& f : args->files) {
      const int rc = ImportOne(*args, f);
      if (rc != 0) {
        ExitCode() = rc;
        return;
      }
    }
  });
}

}  // namespace portatlas::cli
