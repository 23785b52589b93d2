#include "api/aliyun/rpc_verifier.h"

#include <fmt/format.h>

#include <algorithm>

#include "api/aliyun/rpc_errors.h"
#include "api/aliyun/rpc_signature.h"
#include "api/auth/digest.h"
#include "core/text.h"

namespace portatlas::api::aliyun {
namespace {

Status Incomplete(std::string_view why) {
  return RpcError(
      ErrorKind::kUnauthenticated, "IncompleteSignature",
      fmt::format("The request signature does not conform to Aliyun standards: {}.", why));
}

Status Mismatch(std::string_view string_to_sign) {
  return RpcError(ErrorKind::kUnauthenticated, "SignatureDoesNotMatch",
                  fmt::format("Specified signature is not matched with our calculation. server "
                              "string to sign is:{}",
                              string_to_sign));
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> HeaderValues(const Request& req, std::string_view name) {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : req.headers) {
    if (k.size() == name.size() && StartsWithIgnoreCase(k, name)) out.push_back(v);
  }
  return out;
}

// The single value of a header the V3 signature needs.
Result<std::string_view> OneHeader(const Request& req, std::string_view name) {
  const std::vector<std::string_view> values = HeaderValues(req, name);
  if (values.empty()) return Incomplete(fmt::format("the {} header is missing", name));
  if (values.size() > 1) return Incomplete(fmt::format("the {} header is repeated", name));
  return Trim(values.front());
}

// A V1 parameter that must be present.
Result<std::string> Required(const RpcParams& params, std::string_view name) {
  PA_ASSIGN_OR_RETURN(value, params.Get(name));
  if (!value) return MissingParameter(name);
  return std::move(*value);
}

}  // namespace

RpcVerifier::RpcVerifier(AccessKeyLookup lookup, Clock now, size_t nonce_capacity,
                         std::chrono::seconds max_skew)
    : lookup_(std::move(lookup)),
      now_(std::move(now)),
      max_skew_(max_skew),
      nonces_(nonce_capacity) {}

bool RpcVerifier::IsV3(const Request& req) {
  const auto authz = req.Header("Authorization");
  return authz && StartsWithIgnoreCase(Trim(*authz), kAcs3Algorithm);
}

Result<std::chrono::system_clock::time_point> RpcVerifier::CheckTime(std::string_view text) const {
  auto at = ParseAcsTimestamp(text);
  if (!at) {
    return RpcError(ErrorKind::kUnauthenticated, "InvalidTimeStamp.Format",
                    "Specified time stamp or date value is not well formatted.");
  }
  const auto now = now_();
  if (now - *at > max_skew_ || *at - now > max_skew_) {
    return RpcError(ErrorKind::kUnauthenticated, "InvalidTimeStamp.Expired",
                    "Specified time stamp or date value is expired.");
  }
  return *at;
}

Result<AccessKeyGrant> RpcVerifier::Lookup(std::string_view access_key) const {
  PA_ASSIGN_OR_RETURN(grant, lookup_(access_key));
  if (!grant || grant->secret.empty()) {
    return RpcError(ErrorKind::kNotFound, "InvalidAccessKeyId.NotFound",
                    "Specified access key is not found.");
  }
  return std::move(*grant);
}

Status RpcVerifier::UseNonce(std::string_view access_key, std::string_view nonce,
                             std::chrono::system_clock::time_point signed_at) {
  switch (nonces_.Use(access_key, nonce, now_(), signed_at + max_skew_)) {
    case NonceCache::Outcome::kFresh:
      return Status::Ok();
    case NonceCache::Outcome::kReplayed:
      return RpcError(ErrorKind::kUnauthenticated, "SignatureNonceUsed",
                      "Specified signature nonce was used already.");
    case NonceCache::Outcome::kFull:
      break;
  }
  return RpcError(ErrorKind::kUnavailable, "ServiceUnavailable",
                  "too many signature nonces to remember; retry later");
}

Result<Principal> RpcVerifier::Verify(const Request& req, const RpcParams& params) {
  return IsV3(req) ? VerifyV3(req, params) : VerifyV1(req, params);
}

Result<Principal> RpcVerifier::VerifyV1(const Request& req, const RpcParams& params) {
  PA_ASSIGN_OR_RETURN(access_key, Required(params, "AccessKeyId"));
  PA_ASSIGN_OR_RETURN(signature, Required(params, "Signature"));
  PA_ASSIGN_OR_RETURN(method, Required(params, "SignatureMethod"));
  if (method != "HMAC-SHA1") {
    return RpcError(ErrorKind::kUnauthenticated, "InvalidSignatureMethod",
                    "Specified signature method is not valid.");
  }
  PA_ASSIGN_OR_RETURN(version, Required(params, "SignatureVersion"));
  if (version != "1.0") return Incomplete("SignatureVersion must be 1.0");
  PA_ASSIGN_OR_RETURN(nonce, Required(params, "SignatureNonce"));
  if (nonce.empty() || nonce.size() > kMaxNonceBytes) {
    return Incomplete(fmt::format("SignatureNonce must have 1 to {} bytes", kMaxNonceBytes));
  }
  PA_ASSIGN_OR_RETURN(timestamp, Required(params, "Timestamp"));
  PA_ASSIGN_OR_RETURN(signed_at, CheckTime(timestamp));
  PA_ASSIGN_OR_RETURN(grant, Lookup(access_key));
  const std::string string_to_sign = V1StringToSign(req.method, params.All());
  if (!auth::ConstantTimeEquals(V1Signature(grant.secret, string_to_sign), signature)) {
    return Mismatch(string_to_sign);
  }
  PA_RETURN_IF_ERROR(UseNonce(access_key, nonce, signed_at));
  return std::move(grant.principal);
}

Result<Principal> RpcVerifier::VerifyV3(const Request& req, const RpcParams& params) {
  PA_ASSIGN_OR_RETURN(header, OneHeader(req, "Authorization"));
  auto authz = ParseAcs3Authorization(header);
  if (!authz) return Incomplete(authz.error().message());
  const std::vector<std::string>& signed_headers = authz->signed_headers;
  const auto is_signed = [&](std::string_view lower_name) {
    return std::find(signed_headers.begin(), signed_headers.end(), lower_name) !=
           signed_headers.end();
  };
  if (!is_signed("host")) return Incomplete("the host header is not signed");
  for (const auto& [name, value] : req.headers) {
    const std::string lower = Lower(name);
    if (lower.starts_with("x-acs-") && !is_signed(lower)) {
      return Incomplete(fmt::format("the {} header is not signed", lower));
    }
  }
  PA_ASSIGN_OR_RETURN(date, OneHeader(req, "x-acs-date"));
  PA_ASSIGN_OR_RETURN(nonce, OneHeader(req, "x-acs-signature-nonce"));
  PA_ASSIGN_OR_RETURN(payload_hash, OneHeader(req, "x-acs-content-sha256"));
  if (nonce.empty() || nonce.size() > kMaxNonceBytes) {
    return Incomplete(fmt::format("x-acs-signature-nonce must have 1 to {} bytes", kMaxNonceBytes));
  }
  PA_ASSIGN_OR_RETURN(signed_at, CheckTime(date));
  if (Lower(payload_hash) != auth::Sha256Hex(req.body)) {
    return RpcError(ErrorKind::kUnauthenticated, "SignatureDoesNotMatch",
                    "The x-acs-content-sha256 header is not the SHA-256 of the request body.");
  }
  const std::string_view target = req.target;
  const std::string_view path = target.substr(0, target.find('?'));
  auto canonical =
      V3CanonicalRequest(req.method, path, params.query, req.headers, signed_headers, payload_hash);
  if (!canonical) return Incomplete(canonical.error().message());
  PA_ASSIGN_OR_RETURN(grant, Lookup(authz->access_key));
  const std::string string_to_sign = V3StringToSign(*canonical);
  if (!auth::ConstantTimeEquals(V3Signature(grant.secret, string_to_sign), authz->signature)) {
    return Mismatch(string_to_sign);
  }
  PA_RETURN_IF_ERROR(UseNonce(authz->access_key, nonce, signed_at));
  return std::move(grant.principal);
}

}  // namespace portatlas::api::aliyun
