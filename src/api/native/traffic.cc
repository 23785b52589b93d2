#include "api/native/traffic.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>

#include "api/hss/params.h"
#include "core/json_writer.h"
#include "core/traffic_json.h"
#include "inventory/listeners.h"
#include "inventory/traffic.h"

namespace portatlas::api::native {

Result<Response> IngestTraffic(store::Store& store, const Request& req, int64_t now_ms) {
  PA_ASSIGN_OR_RETURN(batch, ParseTrafficBatch(req.body));
  PA_ASSIGN_OR_RETURN(applied,
                      inventory::ApplyTrafficBatch(store, req.principal->project, batch, now_ms));
  return JsonResponse(200, fmt::format(R"({{"applied":{},"duplicate":{},"records":{}}})",
                                       !applied.duplicate, applied.duplicate, applied.records));
}

Result<Response> ListTraffic(store::Store& store, const Request& req) {
  const hss::Params p(req);
  store::TrafficQuery q;
  q.project = req.principal->project;
  PA_ASSIGN_OR_RETURN(granularity, p.String("granularity", 3, 4));
  if (granularity && *granularity != "hour" && *granularity != "day") {
    return InvalidArgument("granularity: must be hour or day");
  }
  q.granularity = granularity.value_or("hour") == "day" ? store::TrafficGranularity::kDay
                                                        : store::TrafficGranularity::kHour;
  PA_ASSIGN_OR_RETURN(from, p.Int("from", 0, INT64_MAX));
  PA_ASSIGN_OR_RETURN(to, p.Int("to", 0, INT64_MAX));
  q.from_ms = from.value_or(0);
  q.to_ms = to.value_or(INT64_MAX);
  PA_ASSIGN_OR_RETURN(ip, p.String("ip", 2, 64));
  if (ip) {
    q.ip = ParseIpAddr(*ip);
    if (!q.ip) return InvalidArgument("ip: is not an IP address");
  }
  PA_ASSIGN_OR_RETURN(protocol, p.String("protocol", 3, 3));
  if (protocol && *protocol != "tcp" && *protocol != "udp") {
    return InvalidArgument("protocol: must be tcp or udp");
  }
  if (protocol) q.proto = *protocol == "tcp" ? Proto::kTcp : Proto::kUdp;
  PA_ASSIGN_OR_RETURN(port, p.Int("port", 0, 65535));
  if (port) q.port = static_cast<uint16_t>(*port);
  PA_ASSIGN_OR_RETURN(limit, p.Int("limit", 1, 10000));
  q.limit = static_cast<int>(limit.value_or(1000));
  PA_ASSIGN_OR_RETURN(records, store.ListTraffic(q));
  PA_RETURN_IF_ERROR(inventory::NameByScans(store, q.project, &records));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("granularity");
  w.String(q.granularity == store::TrafficGranularity::kDay ? "day" : "hour");
  w.Key("records");
  w.StartArray();
  for (const TrafficRecord& r : records) WriteTrafficRecord(w, r, TrafficForm::kAnswer);
  w.EndArray();
  w.EndObject();
  return JsonResponse(200, std::string(buf.GetString(), buf.GetSize()));
}

Result<Response> ListListeners(store::Store& store, const Request& req) {
  const hss::Params p(req);
  PA_ASSIGN_OR_RETURN(limit, p.Int("limit", 1, 1'000'000));
  PA_ASSIGN_OR_RETURN(listeners,
                      inventory::KnownListeners(store, req.principal->project, req.principal->eps,
                                                static_cast<size_t>(limit.value_or(100'000))));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("listeners");
  w.StartArray();
  for (const inventory::Listener& l : listeners) {
    w.StartObject();
    w.Key("ip");
    w.String(l.ip.ToString());
    w.Key("protocol");
    w.String(std::string(ProtoName(l.proto)));
    w.Key("port");
    w.Uint(l.port);
    w.Key("source");
    w.String(l.from_scan ? "scan" : "agent");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(200, std::string(buf.GetString(), buf.GetSize()));
}

}  // namespace portatlas::api::native
