// ApiService: the whole HTTP API wired in one place. Dispatch() runs the pipeline for every
// request: request id -> parse query -> route -> filters (authentication, project check) ->
// handler -> the family's error mapping; every response carries X-Request-Id (for "/", in the
// Alibaba form, the RequestId of the body). It never throws
// and never answers 500 for bad input. Thread-safe.
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

  Response Dispatch(Request& req) const;
  // Whether a request's handler waits on something slow (an ingest or a scan-task write waits
  // for its commit), so the HTTP server should run it off its I/O threads.
  static bool Blocks(const Request& req);

 private:
  using ErrorMapper = Response (*)(const Status&, std::string_view);
  // Wraps `h` with authentication; with `check_project`, the {project_id} of the path must be
  // the credential's own.
  Handler Authenticated(Handler h, bool check_project) const;
  void Add(const char* method, const char* pattern, ErrorMapper errors, Handler h);

  Result<Response> ListEvents(const Request& req) const;

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
