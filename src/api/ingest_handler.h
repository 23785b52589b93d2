// The native ingest endpoint for agents: POST /v1/ingest/ports (docs/ingest.md).
// The body is validated whole before anything is applied; the response comes after commit.
#ifndef PORTATLAS_API_INGEST_HANDLER_H_
#define PORTATLAS_API_INGEST_HANDLER_H_

#include <string_view>
#include <vector>

#include "api/http.h"
#include "inventory/ingestor.h"

namespace portatlas::api {

// Parses an ingest body into snapshots of `project`, checking every field's type and range.
// `granted_eps` are the credential's enterprise projects; a snapshot naming another is
// kPermissionDenied. Errors name the field, e.g. "snapshots[3].ports[17].port: 0-65535".
Result<std::vector<inventory::HostSnapshot>> ParseIngestBody(
    std::string_view body, const std::string& project, const std::vector<std::string>& granted_eps);

class IngestHandler {
 public:
  explicit IngestHandler(inventory::Ingestor& ingestor) : ingestor_(ingestor) {}
  // Precondition: authenticated.
  Result<Response> Handle(const Request& req) const;

 private:
  inventory::Ingestor& ingestor_;
};

// The native family's error mapping: the HSS body shape with PA.* codes (400 PA.0001,
// 401 APIGW.0301, 403 APIGW.0302, 404 PA.0404, 503 PA.0503, 500 PA.0500).
Response NativeErrorResponse(const Status& status, std::string_view request_id);

}  // namespace portatlas::api

#endif  // PORTATLAS_API_INGEST_HANDLER_H_
