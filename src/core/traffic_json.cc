#include "core/traffic_json.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/distinct_count.h"
#include "core/json_fields.h"

namespace portatlas {
namespace {

void WriteCountsObject(JsonWriter& w, const NamedCounts& counts) {
  w.StartObject();
  for (const auto& [name, n] : counts) {
    w.Key(name);
    w.Uint64(n);
  }
  w.EndObject();
}

void WriteCounts(JsonWriter& w, const char* key, const NamedCounts& counts) {
  w.Key(key);
  WriteCountsObject(w, counts);
}

bool IsCollectorId(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

Result<NamedCounts> ParseCounts(const JsonFields& f, const char* key) {
  NamedCounts out;
  const JsonValue* v = f.Find(key);
  if (v == nullptr) return out;
  if (!v->IsObject()) return f.Bad(key, "must be an object of names and counts");
  if (v->MemberCount() > kMaxNamedCounts) {
    return f.Bad(key, fmt::format("at most {} names", kMaxNamedCounts));
  }
  for (const auto& m : v->GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    if (name.empty() || name.size() > 255) return f.Bad(key, "a name must have 1-255 bytes");
    if (!m.value.IsUint64()) {
      return f.Bad(key, fmt::format("'{}' must be a non-negative integer", name));
    }
    AddNamedCounts(&out, {{name, m.value.GetUint64()}});
  }
  return out;
}

Result<TrafficRecord> ParseRecord(const JsonValue& v, const std::string& where) {
  if (!v.IsObject()) return InvalidArgument(where + ": must be an object");
  const JsonFields f(v, where);
  TrafficRecord r;
  PA_ASSIGN_OR_RETURN(ip_text, f.Str("ip", 2, 64, true));
  auto ip = ParseIpAddr(ip_text);
  if (!ip) return f.Bad("ip", "is not an IP address");
  r.ip = *ip;
  PA_ASSIGN_OR_RETURN(proto, f.Str("protocol", 3, 3, true));
  if (proto != "tcp" && proto != "udp") return f.Bad("protocol", "must be tcp or udp");
  r.proto = proto == "tcp" ? Proto::kTcp : Proto::kUdp;
  PA_ASSIGN_OR_RETURN(port, f.Int("port", 0, 65535, true));
  r.port = static_cast<uint16_t>(*port);
  PA_ASSIGN_OR_RETURN(hour, f.Int("hour", 0, int64_t{1} << 50, true));
  if (*hour % kHourMs != 0) return f.Bad("hour", "must be the start of an hour, in Unix ms");
  r.bucket_ms = *hour;
  PA_ASSIGN_OR_RETURN(bytes_in, f.Uint64("bytes_in", false));
  PA_ASSIGN_OR_RETURN(bytes_out, f.Uint64("bytes_out", false));
  PA_ASSIGN_OR_RETURN(packets_in, f.Uint64("packets_in", false));
  PA_ASSIGN_OR_RETURN(packets_out, f.Uint64("packets_out", false));
  PA_ASSIGN_OR_RETURN(flows, f.Uint64("flows", false));
  r.bytes_in = bytes_in;
  r.bytes_out = bytes_out;
  r.packets_in = packets_in;
  r.packets_out = packets_out;
  r.flows = flows;
  PA_ASSIGN_OR_RETURN(sources, f.Str("sources", 0, 2 + 2 * DistinctCount::kRegisters, false));
  if (!DistinctCount::Parse(sources)) return f.Bad("sources", "is not a distinct count");
  r.sources = std::move(sources);
  PA_ASSIGN_OR_RETURN(protocols, ParseCounts(f, "protocols"));
  PA_ASSIGN_OR_RETURN(unknown, ParseCounts(f, "unknown"));
  PA_ASSIGN_OR_RETURN(server_names, ParseCounts(f, "server_names"));
  r.protocols = std::move(protocols);
  r.unknown = std::move(unknown);
  r.server_names = std::move(server_names);
  return r;
}

}  // namespace

void WriteTrafficRecord(JsonWriter& w, const TrafficRecord& r, TrafficForm form) {
  w.StartObject();
  w.Key("ip");
  w.String(r.ip.ToString());
  w.Key("protocol");
  w.String(std::string(ProtoName(r.proto)));
  w.Key("port");
  w.Uint(r.port);
  w.Key(form == TrafficForm::kBatch ? "hour" : "bucket");
  w.Int64(r.bucket_ms);
  const std::pair<const char*, uint64_t> counters[] = {{"bytes_in", r.bytes_in},
                                                       {"bytes_out", r.bytes_out},
                                                       {"packets_in", r.packets_in},
                                                       {"packets_out", r.packets_out},
                                                       {"flows", r.flows}};
  for (const auto& [key, n] : counters) {
    w.Key(key);
    w.Uint64(n);
  }
  w.Key("sources");
  w.String(r.sources);
  if (form == TrafficForm::kAnswer) {
    auto sources = DistinctCount::Parse(r.sources);
    w.Key("distinct_sources");
    w.Uint64(sources ? sources->Estimate() : 0);
  }
  WriteCounts(w, "protocols", r.protocols);
  WriteCounts(w, "unknown", r.unknown);
  WriteCounts(w, "server_names", r.server_names);
  w.EndObject();
}

std::string TrafficBatchJson(const TrafficBatch& b) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("collector");
  w.String(b.collector);
  w.Key("batch");
  w.Uint64(b.batch);
  w.Key("records");
  w.StartArray();
  for (const TrafficRecord& r : b.records) WriteTrafficRecord(w, r);
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string NamedCountsJson(const NamedCounts& counts) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteCountsObject(w, counts);
  return {buf.GetString(), buf.GetSize()};
}

Result<NamedCounts> ParseNamedCountsJson(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return ParseError("named counts: not an object");
  NamedCounts out;
  const JsonValue& root = doc;  // const iterators: RapidJSON's mixed ones compare ambiguously
  for (const auto& m : root.GetObject()) {
    if (!m.value.IsUint64()) return ParseError("named counts: a count is not a number");
    AddNamedCounts(
        &out, {{std::string(m.name.GetString(), m.name.GetStringLength()), m.value.GetUint64()}});
  }
  return out;
}

Result<TrafficBatch> ParseTrafficBatch(std::string_view body) {
  JsonShapeLimits shape;
  shape.max_depth = 8;
  shape.max_entries = 65536;
  shape.max_values = 2'000'000;
  shape.max_string_bytes = 4096;
  rapidjson::Document doc;
  PA_RETURN_IF_ERROR(ParseJsonObject(body, shape, &doc));
  const JsonValue& root = doc;
  const JsonFields f(root, "");
  TrafficBatch b;
  PA_ASSIGN_OR_RETURN(collector, f.Str("collector", 1, 64, true));
  if (!IsCollectorId(collector)) return f.Bad("collector", "must be of [A-Za-z0-9._-]");
  b.collector = std::move(collector);
  PA_ASSIGN_OR_RETURN(batch, f.Uint64("batch", true));
  b.batch = batch;
  const JsonValue* records = f.Find("records");
  if (records == nullptr || !records->IsArray()) {
    return f.Bad("records", "is required and must be an array");
  }
  if (records->Size() > kMaxTrafficRecordsPerBatch) {
    return f.Bad("records", fmt::format("at most {} per batch, got {}", kMaxTrafficRecordsPerBatch,
                                        records->Size()));
  }
  b.records.reserve(records->Size());
  for (rapidjson::SizeType i = 0; i < records->Size(); ++i) {
    PA_ASSIGN_OR_RETURN(r, ParseRecord((*records)[i], fmt::format("records[{}]", i)));
    b.records.push_back(std::move(r));
  }
  return b;
}

}  // namespace portatlas
