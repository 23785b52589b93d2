// GET /v1/events?host_id=&since=&limit=: the history of the caller's project (docs/server.md),
// oldest first: {"events": [{"host_id", "at", "kind", "netns", "laddr", "port", "type", "pid",
// "path", "container_id", "status"[, "old_path", "old_container_id", "old_status"]}]}.
#ifndef PORTATLAS_API_NATIVE_EVENTS_H_
#define PORTATLAS_API_NATIVE_EVENTS_H_

#include "api/http.h"
#include "store/store.h"

namespace portatlas::api::native {

// Precondition: the request is authenticated (req.principal is set). Errors: a malformed
// parameter (kInvalidArgument), the store's.
Result<Response> ListEvents(store::Store& store, const Request& req);

}  // namespace portatlas::api::native

#endif  // PORTATLAS_API_NATIVE_EVENTS_H_
