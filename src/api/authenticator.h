// Authenticator: who is calling. Accepts an X-Auth-Token (looked up by its hash) or a Huawei
// SDK-HMAC-SHA256 AK/SK signature (api-reference.md §2.2; the secret key is unsealed from the
// store). Failures are kUnauthenticated with the API gateway's wording; a store outage stays
// kUnavailable. Thread-safe.
#ifndef PORTATLAS_API_AUTHENTICATOR_H_
#define PORTATLAS_API_AUTHENTICATOR_H_

#include <chrono>
#include <functional>

#include "api/auth/sdk_signer.h"
#include "api/auth/secrets.h"
#include "api/http.h"
#include "store/store.h"

namespace portatlas::api {

// A live AK/SK credential: who it belongs to and its secret key, unsealed.
struct AccessKeyGrant {
  Principal principal;
  std::string secret;
};

class Authenticator {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // Borrows `store` and `box`; `now` is the clock the X-Sdk-Date window is checked against.
  Authenticator(store::Store& store, const auth::SecretBox& box, Clock now);

  Result<Principal> Authenticate(const Request& req) const;

  // The live credential of `access_key` with its unsealed secret, or nullopt when the key is
  // unknown or revoked. kUnavailable when the store fails; kInternal when the sealed secret
  // does not open (a wrong or replaced key file: the operator's problem, not the caller's).
  // Shared with the Alibaba RPC verifier.
  Result<std::optional<AccessKeyGrant>> FindAccessKey(std::string_view access_key) const;

  // The clock signatures are checked against.
  std::chrono::system_clock::time_point Now() const { return now_(); }

 private:
  Result<Principal> FromToken(std::string_view token) const;
  Result<Principal> FromSignature(const Request& req) const;

  store::Store& store_;
  const auth::SecretBox& box_;
  Clock now_;
  auth::SdkVerifier verifier_;
};

}  // namespace portatlas::api

#endif  // PORTATLAS_API_AUTHENTICATOR_H_
