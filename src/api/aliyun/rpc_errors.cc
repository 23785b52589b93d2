#include "api/aliyun/rpc_errors.h"

#include <fmt/format.h>

#include <cctype>

#include "api/aliyun/rpc_body.h"
#include "core/log.h"

namespace portatlas::api::aliyun {
namespace {

bool IsCodeChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.'; }

// Splits "[Code] text" into its code and text; nullopt when the message does not start so.
std::optional<std::pair<std::string_view, std::string_view>> SplitCode(std::string_view message) {
  if (message.empty() || message.front() != '[') return std::nullopt;
  const size_t close = message.find("] ");
  if (close == std::string_view::npos || close < 2) return std::nullopt;
  const std::string_view code = message.substr(1, close - 1);
  for (const char c : code) {
    if (!IsCodeChar(c)) return std::nullopt;
  }
  return std::make_pair(code, message.substr(close + 2));
}

}  // namespace

Status RpcError(ErrorKind kind, std::string_view code, std::string_view message) {
  return Status(kind, fmt::format("[{}] {}", code, message));
}

Status MissingParameter(std::string_view name) {
  return RpcError(ErrorKind::kInvalidArgument, fmt::format("Missing{}", name),
                  fmt::format("{} is mandatory for this action.", name));
}

Status InvalidParameter(std::string_view name, std::string_view why) {
  return RpcError(ErrorKind::kInvalidArgument, "InvalidParameter",
                  fmt::format("The specified parameter \"{}\" is not valid. {}", name, why));
}

Response ErrorResponse(const Status& status, const ErrorContext& ctx) {
  int http = 500;
  std::string_view code = "InternalError";
  std::string_view message =
      "The request processing has failed due to some unknown error, exception or failure.";
  const auto coded = SplitCode(status.message());
  switch (status.kind()) {
    case ErrorKind::kInvalidArgument:
    case ErrorKind::kParse:
    case ErrorKind::kConflict:  // no RPC action conflicts today; the request is refused
      http = 400;
      code = "InvalidParameter";
      message = status.message();
      break;
    case ErrorKind::kUnauthenticated:
      http = 400;
      code = "IncompleteSignature";
      message = status.message();
      break;
    case ErrorKind::kPermissionDenied:
      http = 403;
      code = "Forbidden";
      message = status.message();
      break;
    case ErrorKind::kNotFound:
      http = 404;
      code = "ResourceNotFound";
      message = status.message();
      break;
    case ErrorKind::kUnavailable:
    case ErrorKind::kIo:
      http = 503;
      code = "ServiceUnavailable";
      message = "The request has failed due to a temporary failure of the server.";
      break;
    case ErrorKind::kOk:
    case ErrorKind::kInternal:
      logging::Logger().error("request {}: internal error: {}", ctx.request_id, status.message());
      break;
  }
  // A carried code replaces the default; the fixed messages of 5xx never echo a cause.
  if (coded && http < 500) {
    code = coded->first;
    message = coded->second;
  } else if (coded && http == 503) {
    code = coded->first;
  }
  RpcBody body(ctx.xml, "Error");
  body.Str("RequestId", ctx.request_id)
      .Str("HostId", ctx.host_id)
      .Str("Code", code)
      .Str("Message", message)
      .Str("Recommend", fmt::format("https://api.aliyun.com/troubleshoot?q={}&product={}"
                                    "&requestId={}",
                                    code, ctx.product, ctx.request_id));
  return body.Done(http);
}

Response JsonErrorResponse(const Status& status, std::string_view request_id) {
  return ErrorResponse(status, ErrorContext{request_id});
}

std::string NewRequestId() {
  std::string hex = api::NewRequestId();  // 32 lower-case hex digits
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                     hex.substr(16, 4), hex.substr(20));
}

}  // namespace portatlas::api::aliyun
