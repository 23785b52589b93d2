#include "api/authenticator.h"

#include <fmt/format.h>

namespace portatlas::api {
namespace {

Principal FromCredential(const store::CredentialRow& c) {
  return Principal{c.id, c.project, c.eps};
}

Status Unauthenticated(std::string_view why) {
  return Status(ErrorKind::kUnauthenticated, fmt::format("{}{}", auth::kAuthFailurePrefix, why));
}

}  // namespace

Authenticator::Authenticator(store::Store& store, const auth::SecretBox& box, Clock now)
    : store_(store), box_(box), now_(std::move(now)) {}

Result<Principal> Authenticator::Authenticate(const Request& req) const {
  if (auto token = req.Header("X-Auth-Token")) return FromToken(*token);
  if (auto authz = req.Header("Authorization");
      authz && authz->substr(0, auth::kSdkAlgorithm.size()) == auth::kSdkAlgorithm) {
    return FromSignature(req);
  }
  return Unauthenticated("x-auth-token not found");
}

Result<Principal> Authenticator::FromToken(std::string_view token) const {
  if (token.empty() || token.size() > 32768) return Unauthenticated("decrypt token fail");
  auto found = store_.FindToken(auth::HashToken(token));
  if (!found) return Unavailable(found.error().message());
  if (!found->has_value()) return Unauthenticated("decrypt token fail");
  return FromCredential(**found);
}

Result<std::optional<AccessKeyGrant>> Authenticator::FindAccessKey(
    std::string_view access_key) const {
  auto found = store_.FindAccessKey(access_key);
  if (!found) return Unavailable(found.error().message());
  if (!found->has_value()) return std::optional<AccessKeyGrant>();
  const store::CredentialRow& credential = **found;
  // The access key is the associated data: a sealed secret copied to another row won't open.
  auto sk = box_.Open(credential.sealed_sk, credential.access_key);
  // A secret that does not open means a wrong or replaced key file: the operator's problem,
  // reported as an internal error (and logged), not as the caller's bad signature.
  if (!sk) {
    return InternalError(fmt::format("sealed secret of {}: {}", access_key, sk.error().message()));
  }
  return std::optional<AccessKeyGrant>(AccessKeyGrant{FromCredential(credential), std::move(*sk)});
}

Result<Principal> Authenticator::FromSignature(const Request& req) const {
  auth::WireRequest wire{req.method, req.target, req.headers, req.body};
  std::optional<Principal> principal;
  auto ak = verifier_.Verify(wire, now_(), [&](std::string_view access_key) -> Result<std::string> {
    PA_ASSIGN_OR_RETURN(grant, FindAccessKey(access_key));
    if (!grant) return NotFound("ak not exist");
    principal = std::move(grant->principal);
    return std::move(grant->secret);
  });
  if (!ak) return ak.error();
  return std::move(*principal);
}

}  // namespace portatlas::api
