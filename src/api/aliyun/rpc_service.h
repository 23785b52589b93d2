// RpcService: the Alibaba Cloud RPC endpoint, "/" with GET or POST (api-reference.md §5-6,
// docs/aliyun-avds.md). For each request:
//   1. parameters from the query and an application/x-www-form-urlencoded body (rpc_params.h);
//   2. Format: JSON (default) or XML, either case; anything else is 400 InvalidParameter.Format;
//   3. the method: GET or POST, else 400 UnsupportedHTTPMethod;
//   4. the action and version: for a V3 request the x-acs-action / x-acs-version headers (signed),
//      else the Action / Version parameters, each falling back to the other source; absent is
//      400 MissingAction / MissingVersion, a version no product here has is 400 InvalidVersion,
//      an action the version does not have is 404 InvalidApi.NotFound;
//   5. the signature (rpc_verifier.h), which names the caller's project;
//   6. the action's handler, from one table (version, action) -> handler.
// Every error is an Alibaba error body (rpc_errors.h) in JSON, or in XML when Format=XML was
// asked for and understood. Thread-safe.
#ifndef PORTATLAS_API_ALIYUN_RPC_SERVICE_H_
#define PORTATLAS_API_ALIYUN_RPC_SERVICE_H_

#include "api/aliyun/avds_handlers.h"
#include "api/aliyun/rpc_errors.h"
#include "api/aliyun/rpc_verifier.h"
#include "api/http.h"
#include "store/store.h"

namespace portatlas::api::aliyun {

class RpcService {
 public:
  // Borrows `store`, which must outlive the service. `lookup` finds access keys; `now` is the
  // clock Timestamp / x-acs-date are checked against.
  RpcService(store::Store& store, AccessKeyLookup lookup, RpcVerifier::Clock now,
             size_t nonce_capacity = NonceCache::kDefaultCapacity);

  // Answers a request routed to "/" (any method); req.request_id must be set. Never fails:
  // errors are answered with their Alibaba error body.
  Response Handle(const Request& req);

 private:
  Result<Response> Run(const Request& req, ErrorContext* ctx);

  AvdsHandlers avds_;
  RpcVerifier verifier_;
};

}  // namespace portatlas::api::aliyun

#endif  // PORTATLAS_API_ALIYUN_RPC_SERVICE_H_
