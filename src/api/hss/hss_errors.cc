#include "api/hss/hss_errors.h"

#include <fmt/format.h>

#include "core/log.h"

namespace portatlas::api::hss {

Response ErrorResponse(const Status& status, std::string_view request_id) {
  int http = 500;
  std::string_view code = "HSS.0500";
  std::string msg = "Internal server error.";
  switch (status.kind()) {
    case ErrorKind::kInvalidArgument:
    case ErrorKind::kParse:
    case ErrorKind::kConflict:  // no HSS API conflicts today; the caller's request is refused
      http = 400;
      code = "HSS.0001";
      msg = fmt::format("Invalid parameter: {}", status.message());
      break;
    case ErrorKind::kUnauthenticated:
      http = 401;
      code = "APIGW.0301";
      msg = status.message();
      break;
    case ErrorKind::kPermissionDenied:
      http = 403;
      code = "APIGW.0302";
      msg = status.message();
      break;
    case ErrorKind::kNotFound:
      http = 404;
      code = "APIGW.0101";
      msg = status.message();
      break;
    case ErrorKind::kUnavailable:
    case ErrorKind::kIo:
      http = 503;
      code = "HSS.0503";
      msg = "Service temporarily unavailable, retry later.";
      break;
    case ErrorKind::kOk:
    case ErrorKind::kInternal:
      logging::Logger().error("request {}: internal error: {}", request_id, status.message());
      break;
  }
  return ErrorBody(http, code, msg, request_id);
}

}  // namespace portatlas::api::hss
