// The HTTP request and response as handlers see them: plain values, no Beast types.
#ifndef PORTATLAS_API_HTTP_H_
#define PORTATLAS_API_HTTP_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace portatlas::api {

// Who made a request, once a filter has authenticated it.
struct Principal {
  std::string credential_id;
  std::string project;
  std::vector<std::string> eps;  // enterprise projects granted
};

struct Request {
  std::string method;  // upper case
  std::string target;  // raw request-target, as received
  std::string path;    // the target up to '?', still percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;      // as received
  std::vector<std::pair<std::string, std::string>> query;        // decoded, in order
  std::vector<std::pair<std::string, std::string>> path_params;  // from the route, decoded
  std::string body;
  std::string request_id;
  std::optional<Principal> principal;
  int route = -1;  // the matched route, once the service has admitted the request

  // First header with this name (case-insensitive), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  // The path parameter named in the route ("{project_id}"); "" when absent.
  std::string_view PathParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json;charset=UTF-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Filters may annotate the request (e.g. set the principal) before the inner handler runs;
// handlers themselves take `const Request&`.
using Handler = std::function<Result<Response>(Request&)>;

// Splits a raw query string into decoded pairs ('+' is a space, %XX a byte). A malformed
// escape is kInvalidArgument. "a" and "a=" both give ("a", "").
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

// A fresh request id: 32 lower-case hex digits.
std::string NewRequestId();

// A JSON response with the given status.
Response JsonResponse(int status, std::string body);

// The error body every API family here uses (HSS and its gateway, and the native API):
// {"error_code": code, "error_msg": message, "request_id": request_id}.
Response ErrorBody(int status, std::string_view code, std::string_view message,
                   std::string_view request_id);

}  // namespace portatlas::api

#endif  // PORTATLAS_API_HTTP_H_
