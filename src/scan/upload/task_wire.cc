#include "scan/upload/task_wire.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "core/json_writer.h"
#include "core/scan_record_json.h"

namespace portatlas::scan {
namespace {

constexpr size_t kMaxSummaryBytes = 200;

void Str(JsonWriter& w, const char* key, std::string_view v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

void StrIfSet(JsonWriter& w, const char* key, std::string_view v) {
  if (!v.empty()) Str(w, key, v);
}

int64_t Clamp(uint64_t v) {
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(std::min(v, kMax));
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxSummaryBytes)) {
    out += (c >= ' ' && c <= '~') ? c : '?';
  }
  if (s.size() > kMaxSummaryBytes) out += "...";
  return out;
}

}  // namespace

std::string_view TaskKindName(TaskKind kind) {
  switch (kind) {
    case TaskKind::kConnect:
      return "connect";
    case TaskKind::kSyn:
      return "syn";
    case TaskKind::kUdp:
      return "udp";
    case TaskKind::kImportNmap:
      return "import-nmap";
    case TaskKind::kImportMasscan:
      return "import-masscan";
  }
  return "connect";
}

std::string CreateTaskBody(const TaskSpec& spec) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Str(w, "name", spec.name);
  Str(w, "kind", TaskKindName(spec.kind));
  Str(w, "targets", spec.targets);
  Str(w, "ports", spec.ports);
  w.Key("probes_total");
  w.Int64(Clamp(spec.probes_total));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string RecordsBody(std::span<const ScanRecord> records) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("records");
  w.StartArray();
  for (const ScanRecord& r : records) WriteScanRecord(w, r);
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string ProgressBody(uint64_t done, uint64_t total, std::string_view status,
                         std::string_view error) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("probes_done");
  w.Int64(Clamp(done));
  w.Key("probes_total");
  w.Int64(Clamp(total));
  StrIfSet(w, "status", status);
  StrIfSet(w, "error", error);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<int64_t> ParseTaskId(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("task_id") ||
      !doc["task_id"].IsInt64() || doc["task_id"].GetInt64() <= 0) {
    return ParseError(fmt::format("the server's answer has no task_id: {}", Printable(body)));
  }
  return doc["task_id"].GetInt64();
}

std::optional<size_t> RefusedRecordIndex(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("error_msg") ||
      !doc["error_msg"].IsString()) {
    return std::nullopt;
  }
  const std::string_view msg(doc["error_msg"].GetString(), doc["error_msg"].GetStringLength());
  constexpr std::string_view kPrefix = "records[";
  if (msg.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  size_t index = 0;
  const char* first = msg.data() + kPrefix.size();
  const char* last = msg.data() + msg.size();
  const auto [end, ec] = std::from_chars(first, last, index);
  if (ec != std::errc() || end == first || end == last || *end != ']') return std::nullopt;
  return index;
}

std::string ErrorSummary(int status, std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("error_code") &&
      doc["error_code"].IsString()) {
    const std::string_view msg =
        doc.HasMember("error_msg") && doc["error_msg"].IsString()
            ? std::string_view(doc["error_msg"].GetString(), doc["error_msg"].GetStringLength())
            : std::string_view();
    return fmt::format("{} {}: {}", status, Printable(doc["error_code"].GetString()),
                       Printable(msg));
  }
  return body.empty() ? std::to_string(status) : fmt::format("{}: {}", status, Printable(body));
}

}  // namespace portatlas::scan
