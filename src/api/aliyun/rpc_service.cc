#include "api/aliyun/rpc_service.h"

#include <fmt/format.h>

#include "core/text.h"

namespace portatlas::api::aliyun {
namespace {

// The products served here, by API version.
struct Product {
  std::string_view version;
  std::string_view name;  // for the Recommend link
  std::string_view host;  // HostId of error bodies
};
constexpr Product kProducts[] = {
    {"2017-11-29", "Avds", "avds.aliyuncs.com"},
};

// The actions: adding one is a handler and a line here.
using ActionFn = Result<Response> (AvdsHandlers::*)(const RpcCall&) const;
struct Action {
  std::string_view version;
  std::string_view name;
  ActionFn fn;
};
constexpr Action kActions[] = {
    {"2017-11-29", "DescribeScanSessions", &AvdsHandlers::DescribeScanSessions},
    {"2017-11-29", "DescribePorts", &AvdsHandlers::DescribePorts},
    {"2017-11-29", "DescribeHosts", &AvdsHandlers::DescribeHosts},
    {"2017-11-29", "DescribeAttackSurfacesFacets", &AvdsHandlers::DescribeAttackSurfacesFacets},
    {"2017-11-29", "ListUserPorts", &AvdsHandlers::ListUserPorts},
};

// The value of parameter `param` or header `header`; with `header_first` (a V3 request, whose
// x-acs-* headers are signed) the header wins when both are present.
Result<std::string> Pick(const Request& req, const RpcParams& params, std::string_view param,
                         std::string_view header, bool header_first) {
  PA_ASSIGN_OR_RETURN(from_param, params.Get(param));
  std::optional<std::string> from_header;
  for (const auto& [k, v] : req.headers) {
    if (!EqualsIgnoreCaseAscii(k, header)) continue;
    if (from_header) return InvalidParameter(header, "The header is given more than once.");
    from_header = v;
  }
  if (header_first && from_header) return std::move(*from_header);
  if (from_param) return std::move(*from_param);
  if (from_header) return std::move(*from_header);
  return MissingParameter(param);
}

}  // namespace

RpcService::RpcService(store::Store& store, AccessKeyLookup lookup, RpcVerifier::Clock now,
                       size_t nonce_capacity)
    : avds_(store), verifier_(std::move(lookup), std::move(now), nonce_capacity) {}

Response RpcService::Handle(const Request& req) {
  ErrorContext ctx{req.request_id};
  auto r = Run(req, &ctx);
  return r ? std::move(*r) : ErrorResponse(r.error(), ctx);
}

Result<Response> RpcService::Run(const Request& req, ErrorContext* ctx) {
  PA_ASSIGN_OR_RETURN(params, ParseRpcParams(req));
  PA_RETURN_IF_ERROR(params.CheckNoRepeats());
  PA_ASSIGN_OR_RETURN(format, params.Get("Format"));
  if (format && EqualsIgnoreCaseAscii(*format, "XML")) {
    ctx->xml = true;
  } else if (format && !EqualsIgnoreCaseAscii(*format, "JSON")) {
    return RpcError(ErrorKind::kInvalidArgument, "InvalidParameter.Format",
                    "Specified parameter Format is not valid.");
  }
  if (req.method != "GET" && req.method != "POST") {
    return RpcError(ErrorKind::kInvalidArgument, "UnsupportedHTTPMethod",
                    "This http method is not supported.");
  }
  const bool v3 = RpcVerifier::IsV3(req);
  PA_ASSIGN_OR_RETURN(action_name, Pick(req, params, "Action", "x-acs-action", v3));
  PA_ASSIGN_OR_RETURN(version, Pick(req, params, "Version", "x-acs-version", v3));
  const Product* product = nullptr;
  for (const Product& p : kProducts) {
    if (p.version == version) product = &p;
  }
  if (product == nullptr) {
    return RpcError(ErrorKind::kInvalidArgument, "InvalidVersion",
                    "Specified parameter Version is not valid.");
  }
  ctx->product = product->name;
  ctx->host_id = product->host;
  const Action* action = nullptr;
  for (const Action& a : kActions) {
    if (a.version == version && a.name == action_name) action = &a;
  }
  if (action == nullptr) {
    return RpcError(ErrorKind::kNotFound, "InvalidApi.NotFound",
                    "Specified api is not found, please check your url and method.");
  }
  PA_ASSIGN_OR_RETURN(principal, verifier_.Verify(req, params));
  const RpcCall call{params, principal, req.request_id, action->name, ctx->xml};
  return (avds_.*(action->fn))(call);
}

}  // namespace portatlas::api::aliyun
