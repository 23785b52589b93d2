// The process's one logger (spdlog), writing to stderr: what a daemon reports while it runs
// and what a command says about its work, in text for people or JSON lines for collectors.
//
// Text:  [TIME ]PROGRAM: [warning: |debug: ]MESSAGE   (TIME in UTC, ISO 8601, when asked for)
// JSON:  {"time":"...","level":"info","program":"portatlas serve","msg":"..."} per line, the
//        message escaped (and repaired to valid UTF-8) by RapidJSON.
// Info and error lines carry no level word in text, so a command's error reads as before:
// "portatlas scan: no route to 198.18.0.9".
#ifndef PORTATLAS_CORE_LOG_H_
#define PORTATLAS_CORE_LOG_H_

#include <spdlog/logger.h>

#include <string>
#include <string_view>

#include "core/status.h"

namespace portatlas::logging {

enum class Format { kText, kJson };

struct LogOptions {
  Format format = Format::kText;
  spdlog::level::level_enum level = spdlog::level::info;
  bool timestamps = true;  // text only; JSON lines always carry the time
};

// "text" or "json"; InvalidArgument otherwise.
Result<Format> ParseFormat(std::string_view text);
// "debug", "info", "warn", "error" or "off"; InvalidArgument otherwise.
Result<spdlog::level::level_enum> ParseLevel(std::string_view text);

// Makes the logger named `program` ("portatlas serve") that Logger() returns from now on,
// writing to `sink` (stderr when null). Not thread-safe against concurrent Logger() calls:
// call it once, in the command's setup, before any thread starts.
void Init(std::string program, const LogOptions& options, spdlog::sink_ptr sink = nullptr);

// The logger of the last Init; before any, a text logger named "portatlas" on stderr.
// Thread-safe to use.
spdlog::logger& Logger();

}  // namespace portatlas::logging

#endif  // PORTATLAS_CORE_LOG_H_
