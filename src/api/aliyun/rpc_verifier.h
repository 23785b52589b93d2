// RpcVerifier: authenticates an Alibaba RPC request signed with V1 (HMAC-SHA1, a Signature
// parameter) or V3 (an "Authorization: ACS3-HMAC-SHA256 ..." header); see rpc_signature.h for
// the algorithms. A request with an ACS3 Authorization header is checked as V3, any other as V1.
//
// Checks, in order, each failure an RpcError (rpc_errors.h):
//   V1: AccessKeyId, Signature, SignatureMethod, SignatureVersion, SignatureNonce and Timestamp
//       present once (Missing{Name} / InvalidParameter); SignatureMethod HMAC-SHA1
//       (InvalidSignatureMethod); SignatureVersion 1.0 (IncompleteSignature).
//   V3: one Authorization header that parses; x-acs-date, x-acs-signature-nonce and
//       x-acs-content-sha256 sent once each; host and every x-acs-* header of the request among
//       the signed headers (IncompleteSignature); x-acs-content-sha256 is the SHA-256 of the body
//       (SignatureDoesNotMatch).
//   Both: the time parses (InvalidTimeStamp.Format) and is at most max_skew away from now in
//       either direction, the bound itself passing (InvalidTimeStamp.Expired); the nonce has
//       1-256 bytes (IncompleteSignature); the access key is live (InvalidAccessKeyId.NotFound,
//       404); the signature matches, compared in constant time (SignatureDoesNotMatch, whose
//       message shows the server's string to sign); and only then the nonce is unused
//       (SignatureNonceUsed) and is remembered until the request's time + max_skew, so only
//       correctly signed requests spend nonces. When the nonce memory is full of live nonces the
//       request is refused with 503 ServiceUnavailable.
// An access-key lookup failing for another reason (store outage) keeps its own kind.
//
// Thread-safe: the nonce memory has its own lock.
#ifndef PORTATLAS_API_ALIYUN_RPC_VERIFIER_H_
#define PORTATLAS_API_ALIYUN_RPC_VERIFIER_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

#include "api/aliyun/nonce_cache.h"
#include "api/aliyun/rpc_params.h"
#include "api/authenticator.h"
#include "api/http.h"

namespace portatlas::api::aliyun {

// The live credential of an access key with its secret, or nullopt when unknown or revoked.
using AccessKeyLookup =
    std::function<Result<std::optional<AccessKeyGrant>>(std::string_view access_key)>;

inline constexpr size_t kMaxNonceBytes = 256;

class RpcVerifier {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  static constexpr std::chrono::seconds kMaxClockSkew{15 * 60};

  RpcVerifier(AccessKeyLookup lookup, Clock now,
              size_t nonce_capacity = NonceCache::kDefaultCapacity,
              std::chrono::seconds max_skew = kMaxClockSkew);

  // True when `req` carries an ACS3-HMAC-SHA256 Authorization header (is checked as V3).
  static bool IsV3(const Request& req);

  // The caller of a correctly signed, fresh request; `params` are ParseRpcParams(req).
  Result<Principal> Verify(const Request& req, const RpcParams& params);

  size_t nonces_remembered() const { return nonces_.size(); }

 private:
  Result<std::chrono::system_clock::time_point> CheckTime(std::string_view text) const;
  Result<AccessKeyGrant> Lookup(std::string_view access_key) const;
  Status UseNonce(std::string_view access_key, std::string_view nonce,
                  std::chrono::system_clock::time_point signed_at);
  Result<Principal> VerifyV1(const Request& req, const RpcParams& params);
  Result<Principal> VerifyV3(const Request& req, const RpcParams& params);

  AccessKeyLookup lookup_;
  Clock now_;
  std::chrono::seconds max_skew_;
  NonceCache nonces_;
};

}  // namespace portatlas::api::aliyun

#endif  // PORTATLAS_API_ALIYUN_RPC_VERIFIER_H_
