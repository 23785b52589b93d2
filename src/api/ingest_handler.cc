#include "api/ingest_handler.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "core/json_shape.h"
#include "core/json_writer.h"
#include "core/log.h"

namespace portatlas::api {
namespace {

constexpr size_t kMaxSnapshots = 10000;
constexpr size_t kMaxPorts = 65536;

// What a body may cost to parse, checked before the parse. A snapshot nests 5 deep (body,
// snapshots, a snapshot, ports, a port); 2M values is ~95k ports a request and bounds the DOM to
// ~48 MB, where 60 MiB of '[' would have cost 1.5 GB.
JsonShapeLimits IngestShape() {
  JsonShapeLimits l;
  l.max_depth = 16;
  l.max_entries = std::max(kMaxSnapshots, kMaxPorts);
  l.max_values = 2'000'000;
  l.max_string_bytes = 64 * 1024;  // the longest field, path, is 4096 bytes
  return l;
}

using JsonValue = rapidjson::Value;

// Field readers: each returns an error naming `where`.`key`.
class Fields {
 public:
  Fields(const JsonValue& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  Result<std::string> Str(const char* key, size_t min_len, size_t max_len, bool required) const {
    auto it = obj_.FindMember(key);
    if (it == obj_.MemberEnd() || it->value.IsNull()) {
      if (required) return Bad(key, "is required");
      return std::string();
    }
    if (!it->value.IsString()) return Bad(key, "must be a string");
    const size_t n = it->value.GetStringLength();
    if (n < min_len || n > max_len) {
      return Bad(key, fmt::format("must have {}-{} characters", min_len, max_len));
    }
    return std::string(it->value.GetString(), n);
  }

  Result<int64_t> Int(const char* key, int64_t min, int64_t max, bool required) const {
    auto it = obj_.FindMember(key);
    if (it == obj_.MemberEnd() || it->value.IsNull()) {
      if (required) return Bad(key, "is required");
      return min < 0 ? 0 : min;
    }
    if (!it->value.IsInt64()) return Bad(key, "must be an integer");
    const int64_t v = it->value.GetInt64();
    if (v < min || v > max) return Bad(key, fmt::format("must be {}-{}", min, max));
    return v;
  }

  Result<uint64_t> Uint64(const char* key) const {
    auto it = obj_.FindMember(key);
    if (it == obj_.MemberEnd() || it->value.IsNull()) return uint64_t{0};
    if (!it->value.IsUint64()) return Bad(key, "must be a non-negative integer");
    return it->value.GetUint64();
  }

  Result<bool> Bool(const char* key) const {
    auto it = obj_.FindMember(key);
    if (it == obj_.MemberEnd() || it->value.IsNull()) return false;
    if (!it->value.IsBool()) return Bad(key, "must be true or false");
    return it->value.GetBool();
  }

  Status Bad(const char* key, std::string_view why) const {
    return InvalidArgument(fmt::format("{}.{} {}", where_, key, why));
  }

 private:
  const JsonValue& obj_;
  std::string where_;
};

Result<inventory::SnapshotPort> ParsePort(const JsonValue& v, const std::string& where) {
  if (!v.IsObject()) return InvalidArgument(where + " must be an object");
  const Fields f(v, where);
  inventory::SnapshotPort p;
  PA_ASSIGN_OR_RETURN(laddr, f.Str("laddr", 1, 64, true));
  if (!ParseIpAddr(laddr)) return f.Bad("laddr", "is not an IP address");
  PA_ASSIGN_OR_RETURN(port, f.Int("port", 0, 65535, true));
  PA_ASSIGN_OR_RETURN(type_name, f.Str("type", 1, 8, true));
  auto type = ParseSockType(type_name);
  if (!type) return f.Bad("type", "must be TCP, TCP6, UDP or UDP6");
  PA_ASSIGN_OR_RETURN(netns, f.Uint64("netns"));
  if (netns > static_cast<uint64_t>(INT64_MAX)) return f.Bad("netns", "is out of range");
  p.key = {netns, laddr, static_cast<uint16_t>(port), *type};
  PA_ASSIGN_OR_RETURN(pid, f.Int("pid", 0, INT32_MAX, false));
  PA_ASSIGN_OR_RETURN(sharers, f.Int("sharers", 0, INT32_MAX, false));
  PA_ASSIGN_OR_RETURN(path, f.Str("path", 0, 4096, false));
  PA_ASSIGN_OR_RETURN(comm, f.Str("comm", 0, 64, false));
  PA_ASSIGN_OR_RETURN(deleted, f.Bool("exe_deleted"));
  PA_ASSIGN_OR_RETURN(container_id, f.Str("container_id", 0, 128, false));
  PA_ASSIGN_OR_RETURN(runtime, f.Str("container_runtime", 0, 32, false));
  p.pid = static_cast<int>(pid);
  p.sharers = static_cast<int>(sharers);
  p.path = std::move(path);
  p.comm = std::move(comm);
  p.exe_deleted = deleted;
  p.container_id = std::move(container_id);
  p.container_runtime = std::move(runtime);
  return p;
}

Result<inventory::HostSnapshot> ParseSnapshot(const JsonValue& v, const std::string& where,
                                              const std::string& project,
                                              const std::vector<std::string>& granted_eps) {
  if (!v.IsObject()) return InvalidArgument(where + " must be an object");
  const Fields f(v, where);
  inventory::HostSnapshot s;
  s.project = project;
  PA_ASSIGN_OR_RETURN(host_id, f.Str("host_id", 1, 128, true));
  PA_ASSIGN_OR_RETURN(agent_id, f.Str("agent_id", 1, 64, true));
  PA_ASSIGN_OR_RETURN(host_name, f.Str("host_name", 0, 256, false));
  PA_ASSIGN_OR_RETURN(host_ip, f.Str("host_ip", 0, 256, false));
  PA_ASSIGN_OR_RETURN(eps, f.Str("enterprise_project_id", 0, 256, false));
  PA_ASSIGN_OR_RETURN(collected_at, f.Int("collected_at", 0, INT64_MAX, true));
  PA_ASSIGN_OR_RETURN(seq, f.Int("seq", 0, INT64_MAX, true));
  s.host_id = std::move(host_id);
  s.agent_id = std::move(agent_id);
  s.host_name = std::move(host_name);
  s.host_ip = std::move(host_ip);
  s.eps = eps.empty() ? "0" : std::move(eps);
  if (std::find(granted_eps.begin(), granted_eps.end(), s.eps) == granted_eps.end()) {
    return PermissionDenied(fmt::format(
        "Incorrect IAM authentication information: enterprise project '{}' is not granted", s.eps));
  }
  s.collected_at_ms = collected_at;
  s.seq = seq;
  auto ports = v.FindMember("ports");
  if (ports == v.MemberEnd() || !ports->value.IsArray()) {
    return f.Bad("ports", "is required and must be an array");
  }
  if (ports->value.Size() > kMaxPorts) return f.Bad("ports", "has too many entries");
  s.ports.reserve(ports->value.Size());
  for (rapidjson::SizeType i = 0; i < ports->value.Size(); ++i) {
    PA_ASSIGN_OR_RETURN(p, ParsePort(ports->value[i], fmt::format("{}.ports[{}]", where, i)));
    s.ports.push_back(std::move(p));
  }
  return s;
}

}  // namespace

Result<std::vector<inventory::HostSnapshot>> ParseIngestBody(
    std::string_view body, const std::string& project,
    const std::vector<std::string>& granted_eps) {
  if (Status shape = CheckJsonShape(body, IngestShape()); !shape.ok()) {
    return InvalidArgument("body " + shape.message());
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(body.data(),
                                                                                    body.size());
  if (doc.HasParseError()) {
    return InvalidArgument(fmt::format("body is not JSON: {} at offset {}",
                                       rapidjson::GetParseError_En(doc.GetParseError()),
                                       doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return InvalidArgument("body must be a JSON object");
  const JsonValue& root = doc;  // const iterators: RapidJSON's mixed ones compare ambiguously
  std::vector<inventory::HostSnapshot> out;
  auto batch = root.FindMember("snapshots");
  if (batch == root.MemberEnd()) {
    PA_ASSIGN_OR_RETURN(s, ParseSnapshot(root, "body", project, granted_eps));
    out.push_back(std::move(s));
    return out;
  }
  if (!batch->value.IsArray() || batch->value.Empty()) {
    return InvalidArgument("snapshots must be a non-empty array");
  }
  if (batch->value.Size() > kMaxSnapshots) return InvalidArgument("snapshots: too many");
  out.reserve(batch->value.Size());
  for (rapidjson::SizeType i = 0; i < batch->value.Size(); ++i) {
    PA_ASSIGN_OR_RETURN(
        s, ParseSnapshot(batch->value[i], fmt::format("snapshots[{}]", i), project, granted_eps));
    out.push_back(std::move(s));
  }
  return out;
}

Result<Response> IngestHandler::Handle(const Request& req) const {
  PA_ASSIGN_OR_RETURN(snaps, ParseIngestBody(req.body, req.principal->project, req.principal->eps));
  PA_ASSIGN_OR_RETURN(results, ingestor_.Ingest(std::move(snaps)));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  for (const inventory::IngestResult& r : results) {
    w.StartObject();
    w.Key("host_id");
    w.String(r.host_id.c_str(), static_cast<rapidjson::SizeType>(r.host_id.size()));
    w.Key("applied");
    w.Bool(r.applied);
    w.Key("stale");
    w.Bool(r.stale);
    w.Key("ports");
    w.Int(r.ports);
    w.Key("opened");
    w.Int(r.opened);
    w.Key("closed");
    w.Int(r.closed);
    w.Key("changed");
    w.Int(r.changed);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(200, std::string(buf.GetString(), buf.GetSize()));
}

Response NativeErrorResponse(const Status& status, std::string_view request_id) {
  int http = 500;
  std::string_view code = "PA.0500";
  std::string msg = status.message();
  switch (status.kind()) {
    case ErrorKind::kInvalidArgument:
    case ErrorKind::kParse:
      http = 400;
      code = "PA.0001";
      break;
    case ErrorKind::kUnauthenticated:
      http = 401;
      code = "APIGW.0301";
      break;
    case ErrorKind::kPermissionDenied:
      http = 403;
      code = "APIGW.0302";
      break;
    case ErrorKind::kNotFound:
      http = 404;
      code = "PA.0404";
      break;
    case ErrorKind::kConflict:
      http = 409;
      code = "PA.0409";
      break;
    case ErrorKind::kUnavailable:
    case ErrorKind::kIo:
      http = 503;
      code = "PA.0503";
      break;
    case ErrorKind::kOk:
    case ErrorKind::kInternal:
      logging::Logger().error("request {}: internal error: {}", request_id, status.message());
      msg = "Internal server error.";
      break;
  }
  return ErrorBody(http, code, msg, request_id);
}

}  // namespace portatlas::api
