// The traffic view's native endpoints (docs/traffic.md):
//   POST /v1/ingest/traffic   a collector's batch (core/traffic_json.h), applied exactly once:
//                             {"applied": true|false, "duplicate": bool, "records": N}
//   GET  /v1/traffic?granularity=hour|day&from=MS&to=MS&ip=&protocol=tcp|udp&port=&limit=
//                             {"granularity", "records": [...]} in (ip, protocol, port, bucket)
//                             order; from/to bound bucket starts, [from, to). Exported
//                             records' Unknown bytes are named by scans (NameByScans).
//   GET  /v1/listeners?limit=  the listening endpoints the inventory knows (inventory/
//                             listeners.h), for the collectors' server-side rule:
//                             {"listeners": [{"ip", "protocol", "port", "source": "agent"|"scan"}]}
#ifndef PORTATLAS_API_NATIVE_TRAFFIC_H_
#define PORTATLAS_API_NATIVE_TRAFFIC_H_

#include <cstdint>

#include "api/http.h"
#include "store/store.h"

namespace portatlas::api::native {

// Preconditions: the request is authenticated. Errors: a malformed body or parameter
// (kInvalidArgument naming it), the store's.
Result<Response> IngestTraffic(store::Store& store, const Request& req, int64_t now_ms);
Result<Response> ListTraffic(store::Store& store, const Request& req);
Result<Response> ListListeners(store::Store& store, const Request& req);

}  // namespace portatlas::api::native

#endif  // PORTATLAS_API_NATIVE_TRAFFIC_H_
