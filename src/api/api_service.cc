#include "api/api_service.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <exception>

#include "api/hss/hss_errors.h"
#include "api/hss/params.h"
#include "api/native/events.h"
#include "api/native/traffic.h"
#include "core/json_writer.h"

namespace portatlas::api {
namespace {

bool IsHssPath(std::string_view path) { return path.substr(0, 4) == "/v5/"; }

constexpr uint64_t kBulkBody = 64ull << 20;   // ingest, scan-task records
constexpr uint64_t kSmallBody = 1ull << 20;   // other POSTs, the RPC endpoint
constexpr uint64_t kQueryBody = 64ull << 10;  // GETs
// The most body a request may send before its credential has been verified.
constexpr uint64_t kUnverifiedBody = 1ull << 20;

// Whether the header announces a body (RFC 9112 §6.3: Transfer-Encoding or a non-zero
// Content-Length).
bool HasBody(const Request& req) {
  if (req.Header("Transfer-Encoding")) return true;
  auto length = req.Header("Content-Length");
  return length && *length != "0";
}

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ApiService::ApiService(store::Store& store, inventory::Ingestor& ingestor,
                       const Authenticator& auth, tasks::TaskHandlers::NowMs now_ms)
    : store_(store),
      auth_(auth),
      hss_ports_(store),
      ingest_(ingestor),
      tasks_(store, now_ms ? std::move(now_ms) : SystemNowMs),
      rpc_(
          store, [&auth](std::string_view ak) { return auth.FindAccessKey(ak); },
          [&auth] { return auth.Now(); }) {
  const RouteInfo open_query{Auth::kNone, kQueryBody, false};
  const RouteInfo query{Auth::kCredential, kQueryBody, false};
  const RouteInfo bulk_write{Auth::kCredential, kBulkBody, true};
  const RouteInfo small_write{Auth::kCredential, kSmallBody, true};
  Add("GET", "/healthz", NativeErrorResponse, open_query,
      [](const Request&) -> Result<Response> { return JsonResponse(200, R"({"status":"ok"})"); });
  Add("POST", "/v1/ingest/ports", NativeErrorResponse, bulk_write,
      Authenticated([this](const Request& r) { return ingest_.Handle(r); }, false));
  Add("GET", "/v1/events", NativeErrorResponse, query,
      Authenticated([this](const Request& r) { return native::ListEvents(store_, r); }, false));
  Add("POST", "/v1/ingest/traffic", NativeErrorResponse, bulk_write,
      Authenticated(
          [this](const Request& r) { return native::IngestTraffic(store_, r, SystemNowMs()); },
          false));
  Add("GET", "/v1/traffic", NativeErrorResponse, query,
      Authenticated([this](const Request& r) { return native::ListTraffic(store_, r); }, false));
  Add("GET", "/v1/listeners", NativeErrorResponse, query,
      Authenticated([this](const Request& r) { return native::ListListeners(store_, r); }, false));
  const struct {
    const char* method;
    const char* pattern;
    Result<Response> (tasks::TaskHandlers::*fn)(const Request&) const;
    RouteInfo info;
  } task_routes[] = {
      {"POST", "/v1/scan-tasks", &tasks::TaskHandlers::Create, small_write},
      {"GET", "/v1/scan-tasks", &tasks::TaskHandlers::List, query},
      {"GET", "/v1/scan-tasks/{id}", &tasks::TaskHandlers::Get, query},
      {"POST", "/v1/scan-tasks/{id}/records", &tasks::TaskHandlers::AddRecords, bulk_write},
      {"GET", "/v1/scan-tasks/{id}/records", &tasks::TaskHandlers::ListRecords, query},
      {"POST", "/v1/scan-tasks/{id}/progress", &tasks::TaskHandlers::Progress, small_write},
  };
  for (const auto& r : task_routes) {
    Add(r.method, r.pattern, NativeErrorResponse, r.info,
        Authenticated([this, fn = r.fn](const Request& q) { return (tasks_.*fn)(q); }, false));
  }
  const struct {
    const char* pattern;
    Result<Response> (hss::PortHandlers::*fn)(const Request&) const;
  } hss_routes[] = {
      {"/v5/{project_id}/asset/ports", &hss::PortHandlers::ListPorts},
      {"/v5/{project_id}/asset/port/statistics", &hss::PortHandlers::ListPortStatistics},
      {"/v5/{project_id}/asset/ports/detail", &hss::PortHandlers::ListPortHost},
      {"/v5/{project_id}/asset/statistic", &hss::PortHandlers::ShowAssetStatistic},
  };
  for (const auto& r : hss_routes) {
    Add("GET", r.pattern, hss::ErrorResponse, {Auth::kCredentialOfProject, kQueryBody, false},
        Authenticated([this, fn = r.fn](const Request& q) { return (hss_ports_.*fn)(q); }, true));
  }
  // Every method: the RPC service answers the ones it does not take with its own error.
  Add("*", "/", aliyun::JsonErrorResponse, {Auth::kRpc, kUnverifiedBody, false},
      [this](Request& r) -> Result<Response> { return rpc_.Handle(r); });
}

void ApiService::Add(const char* method, const char* pattern, ErrorMapper errors, RouteInfo info,
                     Handler h) {
  router_.Add(
      method, pattern,
      [errors, h = std::move(h)](Request& req) -> Result<Response> {
        auto r = h(req);
        return r ? std::move(*r) : errors(r.error(), req.request_id);
      },
      static_cast<int>(routes_.size()));
  info.errors = errors;
  routes_.push_back(info);
}

Handler ApiService::Authenticated(Handler h, bool check_project) const {
  return [this, h = std::move(h), check_project](Request& req) -> Result<Response> {
    if (!req.principal) {  // not yet authenticated on the header (Admit)
      auto who = auth_.Authenticate(req);
      if (!who) return who.error();
      req.principal = std::move(*who);  // handlers read the principal from the request
    }
    if (check_project && req.PathParam("project_id") != req.principal->project) {
      return PermissionDenied(
          "Incorrect IAM authentication information: the credential does not belong to this "
          "project");
    }
    return h(req);
  };
}

ApiService::ErrorMapper ApiService::ErrorsFor(const Request& req) const {
  if (req.route >= 0) return routes_[static_cast<size_t>(req.route)].errors;
  if (req.path == "/") return aliyun::JsonErrorResponse;
  return IsHssPath(req.path) ? hss::ErrorResponse : NativeErrorResponse;
}

std::optional<Response> ApiService::Prepare(Request& req) const {
  const size_t q = req.target.find('?');
  req.path = CanonicalPath(std::string_view(req.target).substr(0, q));
  req.request_id = req.path == "/" ? aliyun::NewRequestId() : NewRequestId();
  const ErrorMapper errors = ErrorsFor(req);
  std::optional<Response> resp;
  try {
    Status st;
    if (q != std::string::npos) {
      auto parsed = ParseQuery(std::string_view(req.target).substr(q + 1));
      if (parsed) {
        req.query = std::move(*parsed);
      } else {
        st = parsed.error();
      }
    }
    auto match = st.ok() ? router_.Find(req.method, req.path) : Result<Router::Match>(st);
    if (!match) {
      resp = errors(match.error(), req.request_id);
    } else if (match->handler == nullptr) {
      resp = ErrorBody(404, "APIGW.0101", "The API does not exist or has not been published.",
                       req.request_id);
    } else {
      req.path_params = std::move(match->params);
      req.route = match->tag;
    }
  } catch (const std::exception& e) {
    resp = errors(InternalError(e.what()), req.request_id);
  }
  if (resp) resp->headers.emplace_back("X-Request-Id", req.request_id);
  return resp;
}

Admission ApiService::Admit(Request& req) const {
  Admission a;
  a.refusal = Prepare(req);
  if (a.refusal) return a;
  const RouteInfo& info = routes_[static_cast<size_t>(req.route)];
  a.blocking = info.blocking;
  a.body_limit = info.body_limit;
  a.anonymous = info.auth != Auth::kCredential && info.auth != Auth::kCredentialOfProject;
  if (a.anonymous) {
    if (info.auth == Auth::kRpc) a.body_limit = std::min(a.body_limit, kUnverifiedBody);
    return a;
  }
  // A signature that covers a body hash can only be checked once the body is in: until then
  // the request is anonymous, and small.
  const bool signed_body = !req.Header("X-Auth-Token") && HasBody(req) &&
                           req.Header("X-Sdk-Content-Sha256").value_or("") != "UNSIGNED-PAYLOAD";
  if (signed_body && req.Header("Authorization")) {
    a.anonymous = true;
    a.body_limit = std::min(a.body_limit, kUnverifiedBody);
    return a;
  }
  try {
    auto who = auth_.Authenticate(req);
    Status st = who ? Status::Ok() : who.error();
    if (who && info.auth == Auth::kCredentialOfProject &&
        req.PathParam("project_id") != who->project) {
      st = PermissionDenied(
          "Incorrect IAM authentication information: the credential does not belong to this "
          "project");
    }
    if (!st.ok()) {
      a.refusal = ErrorsFor(req)(st, req.request_id);
    } else {
      req.principal = std::move(*who);
    }
  } catch (const std::exception& e) {
    a.refusal = ErrorsFor(req)(InternalError(e.what()), req.request_id);
  }
  if (a.refusal) a.refusal->headers.emplace_back("X-Request-Id", req.request_id);
  return a;
}

Response ApiService::Dispatch(Request& req) const {
  if (req.route < 0) {
    if (auto refused = Prepare(req)) return std::move(*refused);
  }
  const ErrorMapper errors = ErrorsFor(req);
  Response resp;
  try {
    auto match = router_.Find(req.method, req.path);
    if (!match || match->handler == nullptr) {
      resp = errors(InternalError("route vanished"), req.request_id);
    } else {
      auto r = (*match->handler)(req);
      resp = r ? std::move(*r) : errors(r.error(), req.request_id);
    }
  } catch (const std::exception& e) {
    resp = errors(InternalError(e.what()), req.request_id);
  }
  resp.headers.emplace_back("X-Request-Id", req.request_id);
  return resp;
}

}  // namespace portatlas::api
