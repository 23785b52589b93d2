#include "api/hss/port_handlers.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/hss/params.h"
#include "core/json_writer.h"

namespace portatlas::api::hss {
namespace {

// A JSON object writer with the few shapes these responses need.
class Json {
 public:
  Json() : w_(buf_) {}
  Json& Str(const char* k, std::string_view v) {
    w_.Key(k);
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    return *this;
  }
  Json& Int(const char* k, int64_t v) {
    w_.Key(k);
    w_.Int64(v);
    return *this;
  }
  JsonWriter& w() { return w_; }
  Response Done() { return JsonResponse(200, std::string(buf_.GetString(), buf_.GetSize())); }

 private:
  rapidjson::StringBuffer buf_;
  JsonWriter w_;
};

// {"total_num": N, "data_list": [ item(row)... ]}
template <typename Rows, typename ItemFn>
Response Page(int64_t total, const Rows& rows, ItemFn item) {
  Json j;
  j.w().StartObject();
  j.Int("total_num", total);
  j.w().Key("data_list");
  j.w().StartArray();
  for (const auto& r : rows) {
    j.w().StartObject();
    item(j, r);
    j.w().EndObject();
  }
  j.w().EndArray();
  j.w().EndObject();
  return j.Done();
}

void PortFields(Json& j, const store::PortHostRow& r) {
  const store::PortRow& p = r.port;
  j.Str("host_id", p.host_id)
      .Str("laddr", p.key.laddr)
      .Str("status", RiskStatusName(p.status))
      .Int("port", p.key.port)
      .Str("type", SockTypeName(p.key.type))
      .Int("pid", p.pid)
      .Str("path", p.path)
      .Str("agent_id", r.agent_id)
      .Str("container_id", p.container_id);
}

}  // namespace

Result<Response> PortHandlers::ListPorts(const Request& req) const {
  const Params p(req);
  store::PortQuery q;
  q.project = std::string(req.PathParam("project_id"));
  PA_ASSIGN_OR_RETURN(host_id, p.String("host_id", 1, 128));
  if (!host_id) return InvalidArgument("host_id is required");
  q.host_id = *host_id;
  PA_ASSIGN_OR_RETURN(host_name, p.String("host_name", 0, 128));
  PA_ASSIGN_OR_RETURN(host_ip, p.String("host_ip", 0, 128));
  PA_ASSIGN_OR_RETURN(port, p.Int("port", 1, 65535));
  PA_ASSIGN_OR_RETURN(type, p.Type());
  PA_ASSIGN_OR_RETURN(status, p.Status());
  PA_ASSIGN_OR_RETURN(category, p.Category());
  PA_ASSIGN_OR_RETURN(page, p.Page());
  PA_ASSIGN_OR_RETURN(eps, ResolveEps(req, p));
  q.host_name = host_name.value_or("");
  q.host_ip = host_ip.value_or("");
  if (port) q.port = static_cast<uint16_t>(*port);
  q.type = type;
  q.status = status;
  q.category = category.value_or(store::Category::kHost);
  q.page = page;
  q.eps = std::move(eps);
  PA_ASSIGN_OR_RETURN(result, store_.ListPorts(q));
  return Page(result.total, result.rows, PortFields);
}

Result<Response> PortHandlers::ListPortStatistics(const Request& req) const {
  const Params p(req);
  store::PortStatQuery q;
  q.project = std::string(req.PathParam("project_id"));
  PA_ASSIGN_OR_RETURN(port, p.Int("port", 1, 65535));
  PA_ASSIGN_OR_RETURN(port_string, p.String("port_string", 1, 256));
  PA_ASSIGN_OR_RETURN(type, p.Type());
  PA_ASSIGN_OR_RETURN(status, p.Status());
  PA_ASSIGN_OR_RETURN(category, p.Category());
  PA_ASSIGN_OR_RETURN(sort_key, p.Raw("sort_key"));
  if (sort_key && *sort_key != "port") return InvalidArgument("sort_key must be port");
  PA_ASSIGN_OR_RETURN(sort_dir, p.Raw("sort_dir"));
  if (sort_dir && *sort_dir != "asc" && *sort_dir != "desc") {
    return InvalidArgument("sort_dir must be asc or desc");
  }
  PA_ASSIGN_OR_RETURN(page, p.Page());
  PA_ASSIGN_OR_RETURN(eps, ResolveEps(req, p));
  if (port) q.port = static_cast<uint16_t>(*port);
  q.port_substring = port_string.value_or("");
  q.type = type;
  q.status = status;
  q.category = category.value_or(store::Category::kHost);
  q.descending = sort_dir == "desc";
  q.page = page;
  q.eps = std::move(eps);
  PA_ASSIGN_OR_RETURN(result, store_.ListPortStatistics(q));
  return Page(result.total, result.rows, [](Json& j, const store::PortStatRow& r) {
    j.Int("port", r.port)
        .Str("type", SockTypeName(r.type))
        .Int("num", r.num)
        .Str("status", RiskStatusName(r.status));
  });
}

Result<Response> PortHandlers::ListPortHost(const Request& req) const {
  const Params p(req);
  store::PortHostQuery q;
  q.project = std::string(req.PathParam("project_id"));
  PA_ASSIGN_OR_RETURN(port, p.Int("port", 1, 65535));
  if (!port) return InvalidArgument("port is required");
  PA_ASSIGN_OR_RETURN(type, p.Type());
  PA_ASSIGN_OR_RETURN(host_name, p.String("host_name", 0, 256));
  PA_ASSIGN_OR_RETURN(host_ip, p.String("host_ip", 0, 256));
  PA_ASSIGN_OR_RETURN(category, p.Category());
  PA_ASSIGN_OR_RETURN(page, p.Page());
  PA_ASSIGN_OR_RETURN(eps, ResolveEps(req, p));
  q.port = static_cast<uint16_t>(*port);
  q.type = type;
  q.host_name = host_name.value_or("");
  q.host_ip = host_ip.value_or("");
  q.category = category.value_or(store::Category::kHost);
  q.page = page;
  q.eps = std::move(eps);
  PA_ASSIGN_OR_RETURN(result, store_.ListPortHosts(q));
  return Page(result.total, result.rows, [](Json& j, const store::PortHostRow& r) {
    PortFields(j, r);
    j.Str("host_name", r.host_name).Str("host_ip", r.host_ip).Str("container_name", "");
  });
}

Result<Response> PortHandlers::ShowAssetStatistic(const Request& req) const {
  const Params p(req);
  store::PortCountQuery q;
  q.project = std::string(req.PathParam("project_id"));
  PA_ASSIGN_OR_RETURN(host_id, p.String("host_id", 1, 128));
  PA_ASSIGN_OR_RETURN(category, p.Category());
  PA_ASSIGN_OR_RETURN(eps, ResolveEps(req, p));
  q.host_id = host_id.value_or("");
  q.category = category.value_or(store::Category::kHost);
  q.eps = std::move(eps);
  PA_ASSIGN_OR_RETURN(ports, store_.CountPorts(q));
  Json j;
  j.w().StartObject();
  j.Int("port_num", ports);
  // The inventory holds ports only; the other asset kinds HSS counts are reported as 0.
  for (const char* k : {"account_num", "process_num", "app_num", "auto_launch_num",
                        "web_framework_num", "web_site_num", "jar_package_num", "kernel_module_num",
                        "web_service_num", "web_app_num", "database_num"}) {
    j.Int(k, 0);
  }
  j.w().EndObject();
  return j.Done();
}

}  // namespace portatlas::api::hss
