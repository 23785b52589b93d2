// ApiService: the whole HTTP API wired in one place. Every request goes: request id ->
// canonical path -> parse query -> route -> authentication -> handler -> the family's error
// mapping; every response carries X-Request-Id (for "/", in the Alibaba form, the RequestId of
// the body). Admit() runs the steps up to authentication on the header alone, before the HTTP
// server reads any body: an unknown path or a missing or wrong credential is answered without
// reading a byte of body, and each route sets how much body it takes. Dispatch() runs the
// rest (or everything, for a request that was not admitted first). It never throws and never
// answers 500 for bad input. Thread-safe.
//
// Body limits: ingest and scan-task records 64 MiB, other native POSTs 1 MiB, GETs 64 KiB,
// the RPC endpoint 1 MiB. A body arrives only after its credential was checked on the header
// (X-Auth-Token; an SDK signature with no body, or with X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD),
// except where the credential covers the body (an SDK signature over a body hash; the RPC
// endpoint's signed form): such bodies count as anonymous and are held to 1 MiB until verified.
//
// Routes:
//   GET  /healthz                                       liveness (no auth)
//   POST /v1/ingest/ports                               agents (docs/ingest.md)
//   GET  /v1/events                                     port history (host_id, since)
//   POST /v1/scan-tasks, GET /v1/scan-tasks[/{id}[/records]], POST .../{id}/records and
//        .../{id}/progress                              scan tasks (docs/scan-tasks.md)
//   GET  /v5/{project_id}/asset/ports                   HSS ListPorts
//   GET  /v5/{project_id}/asset/port/statistics         HSS ListPortStatistics
//   GET  /v5/{project_id}/asset/ports/detail            HSS ListPortHost
//   GET  /v5/{project_id}/asset/statistic               HSS ShowAssetStatistic
//   GET, POST /                                         Alibaba Cloud RPC: AVDS 2017-11-29
//                                                       (docs/aliyun-avds.md); other methods
//                                                       are answered UnsupportedHTTPMethod
#ifndef PORTATLAS_API_API_SERVICE_H_
#define PORTATLAS_API_API_SERVICE_H_

#include "api/aliyun/rpc_service.h"
#include "api/authenticator.h"
#include "api/hss/port_handlers.h"
#include "api/http.h"
#include "api/http_server.h"
#include "api/ingest_handler.h"
#include "api/router.h"
#include "api/tasks/task_handlers.h"
#include "inventory/ingestor.h"
#include "store/store.h"

namespace portatlas::api {

class ApiService {
 public:
  // Borrows everything; all must outlive the service. `now_ms` (epoch ms) times scan tasks;
  // empty means the system clock.
  ApiService(store::Store& store, inventory::Ingestor& ingestor, const Authenticator& auth,
             tasks::TaskHandlers::NowMs now_ms = {});

  // On the header alone (method, target, headers): refuses, or says how much body the request
  // may carry and whether its handler waits on something slow (an ingest or a scan-task write
  // waits for its commit), so that the HTTP server runs it off its I/O threads.
  Admission Admit(Request& req) const;
  Response Dispatch(Request& req) const;

 private:
  using ErrorMapper = Response (*)(const Status&, std::string_view);
  enum class Auth { kNone, kCredential, kCredentialOfProject, kRpc };
  struct RouteInfo {
    Auth auth;
    uint64_t body_limit;
    bool blocking;
    ErrorMapper errors = nullptr;  // set by Add
  };
  // Wraps `h` with authentication (unless Admit already authenticated the request); with
  // `check_project`, the {project_id} of the path must be the credential's own.
  Handler Authenticated(Handler h, bool check_project) const;
  void Add(const char* method, const char* pattern, ErrorMapper errors, RouteInfo info, Handler h);
  // Request id, canonical path, query and route; an error answer when one of them fails.
  std::optional<Response> Prepare(Request& req) const;
  // The matched route's error family; for a path no route has, the family its prefix names.
  ErrorMapper ErrorsFor(const Request& req) const;
  std::vector<RouteInfo> routes_;

  store::Store& store_;
  const Authenticator& auth_;
  hss::PortHandlers hss_ports_;
  IngestHandler ingest_;
  tasks::TaskHandlers tasks_;
  aliyun::RpcService rpc_;
  Router router_;
};

}  // namespace portatlas::api

#endif  // PORTATLAS_API_API_SERVICE_H_
