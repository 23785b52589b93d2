#include "core/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <memory>
#include <utility>

#include "core/json_writer.h"

namespace portatlas::logging {
namespace {

// %* in text: the level word of warnings and debug lines.
class LevelWordFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view word;
    if (msg.level == spdlog::level::warn) word = "warning: ";
    if (msg.level == spdlog::level::debug || msg.level == spdlog::level::trace) word = "debug: ";
    dest.append(word.data(), word.data() + word.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelWordFlag>();
  }
};

// %& in JSON: the message as a JSON string, quotes included.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.String(msg.payload.data(), static_cast<rapidjson::SizeType>(msg.payload.size()));
    dest.append(buf.GetString(), buf.GetString() + buf.GetSize());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

std::unique_ptr<spdlog::formatter> MakeFormatter(const LogOptions& o) {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (o.format == Format::kJson) {
    f->add_flag<JsonMessageFlag>('&').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","program":"%n","msg":%&})");
  } else {
    f->add_flag<LevelWordFlag>('*').set_pattern(o.timestamps ? "%Y-%m-%dT%H:%M:%SZ %n: %*%v"
                                                             : "%n: %*%v");
  }
  return f;
}

std::shared_ptr<spdlog::logger> Make(std::string program, const LogOptions& o,
                                     spdlog::sink_ptr sink) {
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(std::move(program), std::move(sink));
  logger->set_formatter(MakeFormatter(o));
  logger->set_level(o.level);
  logger->flush_on(spdlog::level::trace);  // stderr lines must not wait in a buffer
  return logger;
}

std::shared_ptr<spdlog::logger>& Current() {
  static std::shared_ptr<spdlog::logger> logger = Make("portatlas", LogOptions{}, nullptr);
  return logger;
}

}  // namespace

Result<Format> ParseFormat(std::string_view text) {
  if (text == "text") return Format::kText;
  if (text == "json") return Format::kJson;
  return InvalidArgument("the log format is text or json");
}

Result<spdlog::level::level_enum> ParseLevel(std::string_view text) {
  if (text == "debug") return spdlog::level::debug;
  if (text == "info") return spdlog::level::info;
  if (text == "warn") return spdlog::level::warn;
  if (text == "error") return spdlog::level::err;
  if (text == "off") return spdlog::level::off;
  return InvalidArgument("the log level is debug, info, warn, error or off");
}

void Init(std::string program, const LogOptions& options, spdlog::sink_ptr sink) {
  Current() = Make(std::move(program), options, std::move(sink));
}

spdlog::logger& Logger() { return *Current(); }

}  // namespace portatlas::logging
