#include "cli/log_flags.h"

#include <string>

#include "core/log.h"

namespace portatlas::cli {
namespace {

struct LogFlags {
  std::string format = "text";
  std::string level = "info";
};

LogFlags& Flags() {
  static LogFlags flags;
  return flags;
}

}  // namespace

void AddLogFlags(CLI::App& app) {
  app.add_option("--log-format", Flags().format, "Log lines on stderr: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--log-level", Flags().level,
                 "Least severe log level: debug, info, warn, error, off")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
}

void StartLogging(std::string_view command, bool timestamps) {
  logging::LogOptions o;
  // The checks above admit only what these parse.
  if (auto format = logging::ParseFormat(Flags().format)) o.format = *format;
  if (auto level = logging::ParseLevel(Flags().level)) o.level = *level;
  o.timestamps = timestamps;
  logging::Init("portatlas " + std::string(command), o);
}

}  // namespace portatlas::cli
