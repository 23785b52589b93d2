// The HSS asset-port APIs (api-reference.md §1.1-1.3), answered from the store:
//   ListPorts           GET /v5/{project_id}/asset/ports
//   ListPortStatistics  GET /v5/{project_id}/asset/port/statistics
//   ListPortHost        GET /v5/{project_id}/asset/ports/detail
//   ShowAssetStatistic  GET /v5/{project_id}/asset/statistic  (port_num; other counts are 0)
// Preconditions: the request is authenticated (principal set) for the path's project.
// Thread-safe.
#ifndef PORTATLAS_API_HSS_PORT_HANDLERS_H_
#define PORTATLAS_API_HSS_PORT_HANDLERS_H_

#include "api/http.h"
#include "store/store.h"

namespace portatlas::api::hss {

class PortHandlers {
 public:
  explicit PortHandlers(store::Store& store) : store_(store) {}

  Result<Response> ListPorts(const Request& req) const;
  Result<Response> ListPortStatistics(const Request& req) const;
  Result<Response> ListPortHost(const Request& req) const;
  Result<Response> ShowAssetStatistic(const Request& req) const;

 private:
  store::Store& store_;
};

}  // namespace portatlas::api::hss

#endif  // PORTATLAS_API_HSS_PORT_HANDLERS_H_
