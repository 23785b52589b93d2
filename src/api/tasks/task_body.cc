#include "api/tasks/task_body.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>

#include "core/json_fields.h"
#include "core/json_shape.h"
#include "core/json_writer.h"

namespace portatlas::api::tasks {
namespace {

constexpr size_t kMaxTextBytes = 64 * 1024;  // targets, ports
constexpr size_t kMaxTlsBytes = 16 * 1024;   // a record's tls object, serialised
constexpr int kMaxTlsDepth = 8;              // nesting of that object
constexpr size_t kMaxErrorBytes = 4096;
constexpr int kMaxBodyDepth = 16;  // body, records, a record, its tls: 4; tls inside: up to 8
constexpr size_t kMaxBodyValues = 2'000'000;           // ~200 a record: a DOM of at most ~48 MB
constexpr size_t kMaxStringBytes = 6 * kMaxTextBytes;  // as written: a unicode escape is 6 bytes

constexpr std::array<std::string_view, 5> kKinds = {"connect", "syn", "udp", "import-nmap",
                                                    "import-masscan"};
constexpr std::array<std::string_view, 6> kStates = {
    "open", "closed", "filtered", "unfiltered", "open|filtered", "closed|filtered"};
constexpr std::array<std::string_view, 3> kStatuses = {"running", "done", "failed"};

template <size_t N>
bool OneOf(const std::array<std::string_view, N>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

using Fields = JsonFields;

// Parses a whole body; it must be one JSON object.
Status ParseObject(std::string_view body, rapidjson::Document* doc) {
  // What the parse would cost, bounded before it starts: a DOM node costs 16-32 bytes, and
  // 60 MiB of '[' or of "0," would have cost gigabytes.
  JsonShapeLimits shape;
  shape.max_depth = kMaxBodyDepth;
  shape.max_entries = 65536;  // past kMaxRecordsPerRequest, so that error names records
  shape.max_values = kMaxBodyValues;
  shape.max_string_bytes = kMaxStringBytes;
  return ParseJsonObject(body, shape, doc);
}

// Whether `v` nests at most `levels` objects and arrays deep (a scalar is 0 levels deep).
// Recursion is bounded by `levels`, however deep the document.
bool NestsAtMost(const JsonValue& v, int levels) {
  if (!v.IsObject() && !v.IsArray()) return true;
  if (levels <= 0) return false;
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (!NestsAtMost(m.value, levels - 1)) return false;
    }
  } else {
    for (const auto& e : v.GetArray()) {
      if (!NestsAtMost(e, levels - 1)) return false;
    }
  }
  return true;
}

Result<std::string> TlsField(const Fields& f) {
  const JsonValue* v = f.Find("tls");
  if (v == nullptr) return std::string();
  if (!v->IsObject()) return f.Bad("tls", "must be an object");
  if (!NestsAtMost(*v, kMaxTlsDepth)) {
    return f.Bad("tls", fmt::format("must nest at most {} levels", kMaxTlsDepth));
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  v->Accept(w);
  if (buf.GetSize() > kMaxTlsBytes) {
    return f.Bad("tls", fmt::format("must be at most {} bytes of JSON", kMaxTlsBytes));
  }
  return std::string(buf.GetString(), buf.GetSize());
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<store::ScanRecordRow> ParseRecord(const JsonValue& v, const std::string& where) {
  if (!v.IsObject()) return InvalidArgument(where + ": must be an object");
  const Fields f(v, where);
  store::ScanRecordRow r;
  PA_ASSIGN_OR_RETURN(ip, f.Str("ip", 1, 64, true));
  // inet_pton would stop at an embedded NUL and accept what precedes it.
  auto addr = ip.find('\0') == std::string::npos ? ParseIpAddr(ip) : std::nullopt;
  if (!addr) return f.Bad("ip", "must be an IPv4 or IPv6 address");
  r.ip = *addr;
  PA_ASSIGN_OR_RETURN(proto, f.Str("protocol", 1, 16, true));
  if (proto != "tcp" && proto != "udp") return f.Bad("protocol", "must be tcp or udp");
  r.proto = proto == "udp" ? Proto::kUdp : Proto::kTcp;
  PA_ASSIGN_OR_RETURN(port, f.Int("port", 0, 65535, true));
  r.port = static_cast<uint16_t>(*port);
  PA_ASSIGN_OR_RETURN(state, f.Str("state", 1, 32, true));
  if (!OneOf(kStates, state)) {
    return f.Bad("state",
                 "must be open, closed, filtered, unfiltered, open|filtered or closed|filtered");
  }
  r.state = std::move(state);
  PA_ASSIGN_OR_RETURN(reason, f.Str("reason", 0, 64, false));
  PA_ASSIGN_OR_RETURN(ttl, f.Int("reason_ttl", 0, 255, false));
  PA_ASSIGN_OR_RETURN(updated_at, f.Int("updated_at", 0, INT64_MAX, false));
  PA_ASSIGN_OR_RETURN(service, f.Str("service", 0, 64, false));
  PA_ASSIGN_OR_RETURN(product, f.Str("product", 0, 256, false));
  PA_ASSIGN_OR_RETURN(version, f.Str("version", 0, 256, false));
  PA_ASSIGN_OR_RETURN(info, f.Str("info", 0, 1024, false));
  PA_ASSIGN_OR_RETURN(cpe, f.Str("cpe", 0, 1024, false));
  PA_ASSIGN_OR_RETURN(tls, TlsField(f));
  PA_ASSIGN_OR_RETURN(banner_hash, f.Str("banner_hash", 0, 64, false));
  if (!banner_hash.empty() && !IsLowerHex64(banner_hash)) {
    return f.Bad("banner_hash", "must be 64 lower-case hex digits (SHA-256) or empty");
  }
  r.reason = std::move(reason);
  r.reason_ttl = static_cast<int>(ttl.value_or(0));
  r.updated_at_ms = updated_at.value_or(0);
  r.service = std::move(service);
  r.product = std::move(product);
  r.version = std::move(version);
  r.info = std::move(info);
  r.cpe = std::move(cpe);
  r.tls = std::move(tls);
  r.banner_hash = std::move(banner_hash);
  return r;
}

}  // namespace

bool IsTaskKind(std::string_view kind) { return OneOf(kKinds, kind); }

bool IsPortState(std::string_view state) { return OneOf(kStates, state); }

Result<store::ScanTaskRow> ParseCreateTaskBody(std::string_view body) {
  rapidjson::Document doc;
  PA_RETURN_IF_ERROR(ParseObject(body, &doc));
  const Fields f(doc, "");
  store::ScanTaskRow t;
  PA_ASSIGN_OR_RETURN(name, f.Str("name", 1, 256, true));
  PA_ASSIGN_OR_RETURN(kind, f.Str("kind", 1, 32, true));
  if (!IsTaskKind(kind)) {
    return f.Bad("kind", "must be connect, syn, udp, import-nmap or import-masscan");
  }
  PA_ASSIGN_OR_RETURN(targets, f.Str("targets", 0, kMaxTextBytes, false));
  PA_ASSIGN_OR_RETURN(ports, f.Str("ports", 0, kMaxTextBytes, false));
  PA_ASSIGN_OR_RETURN(total, f.Int("probes_total", 0, INT64_MAX, false));
  t.name = std::move(name);
  t.kind = std::move(kind);
  t.targets = std::move(targets);
  t.ports = std::move(ports);
  t.probes_total = total.value_or(0);
  return t;
}

Result<std::vector<store::ScanRecordRow>> ParseRecordsBody(std::string_view body) {
  rapidjson::Document doc;
  PA_RETURN_IF_ERROR(ParseObject(body, &doc));
  const JsonValue& root = doc;  // const iterators: RapidJSON's mixed ones compare ambiguously
  auto records = root.FindMember("records");
  if (records == root.MemberEnd() || !records->value.IsArray()) {
    return InvalidArgument("records: is required and must be an array");
  }
  const auto& list = records->value;
  if (list.Size() > kMaxRecordsPerRequest) {
    return InvalidArgument(
        fmt::format("records: at most {} per request, got {}", kMaxRecordsPerRequest, list.Size()));
  }
  std::vector<store::ScanRecordRow> out;
  out.reserve(list.Size());
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    PA_ASSIGN_OR_RETURN(r, ParseRecord(list[i], fmt::format("records[{}]", i)));
    out.push_back(std::move(r));
  }
  return out;
}

Result<ProgressUpdate> ParseProgressBody(std::string_view body) {
  rapidjson::Document doc;
  PA_RETURN_IF_ERROR(ParseObject(body, &doc));
  const Fields f(doc, "");
  ProgressUpdate u;
  PA_ASSIGN_OR_RETURN(done, f.Int("probes_done", 0, INT64_MAX, false));
  PA_ASSIGN_OR_RETURN(total, f.Int("probes_total", 0, INT64_MAX, false));
  u.probes_done = done;
  u.probes_total = total;
  if (f.Find("status") != nullptr) {
    PA_ASSIGN_OR_RETURN(status, f.Str("status", 1, 16, true));
    if (!OneOf(kStatuses, status)) return f.Bad("status", "must be running, done or failed");
    u.status = std::move(status);
  }
  if (f.Find("error") != nullptr) {
    PA_ASSIGN_OR_RETURN(error, f.Str("error", 0, kMaxErrorBytes, true));
    u.error = std::move(error);
  }
  return u;
}

}  // namespace portatlas::api::tasks
