#include "cli/flow_config.h"

#include <fmt/format.h>

#include <sstream>
#include <toml.hpp>

#include "core/text.h"

namespace portatlas::cli {
namespace {

const std::set<std::string> kKeys = {"listen",         "server",       "state_dir", "output",
                                     "internet",       "internal",     "services",  "rcvbuf",
                                     "flush_interval", "drain_timeout"};

// The flag of a key: "state_dir" is --state-dir.
std::string FlagOf(std::string key) {
  for (char& c : key) c = c == '_' ? '-' : c;
  return key;
}

}  // namespace

Status ApplyFlowConfig(std::string_view text, const std::string& path,
                       const std::set<std::string>& given, flow::CollectorOptions* o) {
  // TOML is UTF-8 by definition, and toml11 3.7 overreads on some invalid sequences.
  if (!IsValidUtf8(text)) return InvalidArgument(fmt::format("config {}: not valid UTF-8", path));
  try {
    std::istringstream in{std::string(text)};
    const toml::value root = toml::parse(in, path);
    for (const auto& [key, value] : root.as_table()) {
      if (!kKeys.contains(key)) {
        return InvalidArgument(fmt::format("config {}: unknown key '{}'", path, key));
      }
    }
    const auto take = [&](const char* key) {
      return root.contains(key) && !given.contains(FlagOf(key));
    };
    for (const auto& [key, out] :
         {std::pair{"server", &o->server}, std::pair{"state_dir", &o->state_dir},
          std::pair{"output", &o->output}, std::pair{"services", &o->services_path}}) {
      if (take(key)) *out = toml::find<std::string>(root, key);
    }
    for (const auto& [key, out] :
         {std::pair{"listen", &o->listen}, std::pair{"internet", &o->internet},
          std::pair{"internal", &o->internal}}) {
      if (take(key)) *out = toml::find<std::vector<std::string>>(root, key);
    }
    const struct {
      const char* key;
      int64_t min, max, scale;
    } numbers[] = {{"rcvbuf", 65536, 1 << 30, 1},
                   {"flush_interval", 1, 3600, 1000},
                   {"drain_timeout", 0, 3600, 1000}};
    for (const auto& n : numbers) {
      if (!take(n.key)) continue;
      const auto v = toml::find<int64_t>(root, n.key);
      if (v < n.min || v > n.max) {
        return InvalidArgument(
            fmt::format("config {}: {} must be {}-{}", path, n.key, n.min, n.max));
      }
      const std::string_view k = n.key;
      if (k == "rcvbuf") o->rcvbuf_bytes = static_cast<int>(v);
      if (k == "flush_interval") o->flush_interval_ms = v * n.scale;
      if (k == "drain_timeout") o->drain_timeout_ms = v * n.scale;
    }
  } catch (const std::exception& e) {
    return InvalidArgument(fmt::format("config {}: {}", path, e.what()));
  }
  return Status::Ok();
}

}  // namespace portatlas::cli
