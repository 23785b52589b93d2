#include "api/native/events.h"

#include <rapidjson/stringbuffer.h>

#include <string_view>

#include "api/hss/params.h"
#include "core/json_writer.h"

namespace portatlas::api::native {
namespace {

std::string_view EventKindName(store::EventKind k) {
  switch (k) {
    case store::EventKind::kOpen:
      return "open";
    case store::EventKind::kClose:
      return "close";
    case store::EventKind::kChange:
      return "change";
  }
  return "?";
}

}  // namespace

Result<Response> ListEvents(store::Store& store, const Request& req) {
  const hss::Params p(req);
  PA_ASSIGN_OR_RETURN(host_id, p.String("host_id", 1, 128));
  PA_ASSIGN_OR_RETURN(since, p.Int("since", 0, INT64_MAX));
  PA_ASSIGN_OR_RETURN(limit, p.Int("limit", 1, 10000));
  PA_ASSIGN_OR_RETURN(
      events, store.ListEvents(req.principal->project, host_id.value_or(""), since.value_or(0),
                               static_cast<int>(limit.value_or(1000))));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  auto str = [&w](const char* k, std::string_view v) {
    w.Key(k);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  w.Key("events");
  w.StartArray();
  for (const store::PortEvent& e : events) {
    w.StartObject();
    str("host_id", e.host_id);
    w.Key("at");
    w.Int64(e.at_ms);
    str("kind", EventKindName(e.kind));
    w.Key("netns");
    w.Uint64(e.key.netns);
    str("laddr", e.key.laddr);
    w.Key("port");
    w.Int(e.key.port);
    str("type", SockTypeName(e.key.type));
    w.Key("pid");
    w.Int(e.pid);
    str("path", e.path);
    str("container_id", e.container_id);
    str("status", RiskStatusName(e.status));
    if (e.kind == store::EventKind::kChange) {
      str("old_path", e.old_path);
      str("old_container_id", e.old_container_id);
      str("old_status", RiskStatusName(e.old_status));
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(200, std::string(buf.GetString(), buf.GetSize()));
}

}  // namespace portatlas::api::native
