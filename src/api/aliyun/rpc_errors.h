// Alibaba Cloud RPC errors (api-reference.md §5.4, §6.3): the one place where a Status becomes an
// HTTP status and an Alibaba error body.
//
// An Alibaba error code travels inside an ordinary Status: RpcError() writes the message as
// "[Code] text", and ErrorResponse() takes the code back out. The HTTP status always follows
// the Status kind; a Status without a code gets the kind's default code:
//
//   kind                         HTTP  default code        codes carried (examples)
//   kInvalidArgument, kParse     400   InvalidParameter    Missing{Name}, InvalidParameter.Format,
//                                                           InvalidVersion, UnsupportedHTTPMethod
//   kUnauthenticated             400   IncompleteSignature SignatureDoesNotMatch,
//                                                           SignatureNonceUsed,
//                                                           InvalidTimeStamp.Expired/.Format,
//                                                           InvalidSignatureMethod
//   kPermissionDenied            403   Forbidden
//   kNotFound                    404   ResourceNotFound    InvalidApi.NotFound,
//                                                           InvalidAccessKeyId.NotFound,
//                                                           InvalidTaskId.NotFound
//   kUnavailable, kIo            503   ServiceUnavailable  (message fixed)
//   kInternal                    500   InternalError       (message fixed; the cause is logged)
//
// Both Node clients raise on these: pop-core because the body has a Code outside
// {200, OK, Success}, openapi-client because the status is >= 400.
#ifndef PORTATLAS_API_ALIYUN_RPC_ERRORS_H_
#define PORTATLAS_API_ALIYUN_RPC_ERRORS_H_

#include <string>
#include <string_view>

#include "api/http.h"

namespace portatlas::api::aliyun {

// A Status of `kind` carrying the Alibaba error `code` (letters, digits and dots) and `message`.
Status RpcError(ErrorKind kind, std::string_view code, std::string_view message);

// "Missing{name}" (400): "{name} is mandatory for this action."
Status MissingParameter(std::string_view name);
// "InvalidParameter" (400): The specified parameter "{name}" is not valid. {why}
Status InvalidParameter(std::string_view name, std::string_view why);

// Where an error body says it came from.
struct ErrorContext {
  std::string_view request_id;
  std::string_view host_id = "avds.aliyuncs.com";  // the product's endpoint
  std::string_view product = "Avds";               // for the Recommend link
  bool xml = false;                                // Format=XML was asked for
};

// The error response for `status` (which must not be OK): JSON
// {"RequestId","HostId","Code","Message","Recommend"}, or with ctx.xml the same fields in
// <Error>...</Error>. Logs the cause of a 500 to stderr.
Response ErrorResponse(const Status& status, const ErrorContext& ctx);

// ErrorResponse in JSON for the AVDS endpoint: ApiService's error mapper for "/".
Response JsonErrorResponse(const Status& status, std::string_view request_id);

// A new request id in Alibaba's form: an upper-case UUID-shaped string of 32 random hex digits,
// e.g. "DD73CB0A-6E99-49AB-9569-5A00C9732795".
std::string NewRequestId();

}  // namespace portatlas::api::aliyun

#endif  // PORTATLAS_API_ALIYUN_RPC_ERRORS_H_
