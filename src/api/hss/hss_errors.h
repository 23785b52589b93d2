// The one place where an ErrorKind becomes a Huawei HSS (or its API gateway's) HTTP status and
// error body: {"error_code": ..., "error_msg": ..., "request_id": ...} (api-reference.md §1.4).
#ifndef PORTATLAS_API_HSS_HSS_ERRORS_H_
#define PORTATLAS_API_HSS_HSS_ERRORS_H_

#include <string_view>

#include "api/http.h"

namespace portatlas::api::hss {

// kInvalidArgument/kParse -> 400 HSS.0001; kUnauthenticated -> 401 APIGW.0301;
// kPermissionDenied -> 403 APIGW.0302; kNotFound -> 404 APIGW.0101; kUnavailable -> 503
// HSS.0503; anything else -> 500 HSS.0500 (a bug; the message is logged, not sent).
Response ErrorResponse(const Status& status, std::string_view request_id);

}  // namespace portatlas::api::hss

#endif  // PORTATLAS_API_HSS_HSS_ERRORS_H_
