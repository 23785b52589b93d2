// Huawei Cloud AK/SK request signatures ("SDK-HMAC-SHA256"), as the official SDKs send them.
//
// A signed request carries
//   X-Sdk-Date: YYYYMMDDTHHMMSSZ
//   Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<h1;h2;...>, Signature=<hex>
// where Signature = hex(HMAC-SHA256(key = SK bytes, StringToSign)) and
// StringToSign = "SDK-HMAC-SHA256\n" + <X-Sdk-Date> + "\n" + hex(SHA-256(CanonicalRequest)).
// The canonical request is rebuilt from the request exactly as it arrived on the wire: the
// Node SDK sends its query with querystring.stringify (which leaves !*'() bare) but signs the
// RFC 3986 form, so hashing the raw query text would fail. See docs api-reference §2.2.
//
// This library knows no HTTP library types: the server copies what it received into a
// WireRequest. Every function here is pure and thread-safe; SdkVerifier holds no mutable state.
#ifndef PORTATLAS_API_AUTH_SDK_SIGNER_H_
#define PORTATLAS_API_AUTH_SDK_SIGNER_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace portatlas::api::auth {

inline constexpr std::string_view kSdkAlgorithm = "SDK-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// Every verification failure message starts with this (the API gateway's wording).
inline constexpr std::string_view kAuthFailurePrefix = "Incorrect IAM authentication information: ";
// Longest Authorization header ParseSdkAuthorization accepts.
inline constexpr size_t kMaxAuthorizationBytes = 8192;

// One HTTP request exactly as received, before any normalisation.
struct WireRequest {
  std::string method;  // e.g. "GET" (compared upper-cased)
  // The raw request-target: origin-form "/v5/p/asset/ports?limit=10&a=b%20c", percent-escapes
  // untouched. Absolute-form "http://host/path?q" is accepted too (scheme and authority are
  // skipped). A fragment ('#') or any other form is rejected.
  std::string target;
  // Every header field as received, names in any case. A field sent twice appears twice.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // the raw body after de-chunking, before any content decoding
};

// The parsed Authorization header.
struct SdkAuthorization {
  std::string access_key;
  std::vector<std::string> signed_headers;  // lower-cased, in the order listed, no duplicates
  std::string signature;                    // 64 lower-case hex digits
};

// Parses "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<h1;h2>, Signature=<64 hex>". Spaces and
// tabs around the parts, around '=' and ';' are optional, and the three parts may come in any
// order; header names are lower-cased and hex digits accepted in either case. Returns
// kInvalidArgument for anything else: another algorithm, a missing, repeated, empty or unknown
// part, an access key over 128 characters or with spaces or separators in it, a header name
// that is not an RFC 9110 token, a signature that is not 64 hex digits, or a header over
// kMaxAuthorizationBytes. Messages never echo the header.
Result<SdkAuthorization> ParseSdkAuthorization(std::string_view header);

// Builds the canonical request, six items joined with '\n':
//  1. the method, upper-cased;
//  2. the canonical URI: the target's path split on '/', each segment percent-decoded then
//     Rfc3986Encode'd, joined with '/', with a '/' appended when it does not end in one
//     ("/v5/p/asset/ports" -> "/v5/p/asset/ports/"); no dot-segment removal;
//  3. the canonical query: '&'-separated pairs (empty ones skipped) split at the first '=',
//     percent-decoded with '+' as space, sorted by decoded name then decoded value (byte order),
//     re-encoded with Rfc3986Encode and written "name=value" (the '=' kept for an empty value or
//     a pair without one), joined with '&'; empty when there is no query;
//  4. for each name of `signed_headers` in the order given: "lower-name:trimmed value\n";
//  5. the lower-cased `signed_headers` joined with ';';
//  6. the payload hash: kUnsignedPayload when the X-Sdk-Content-Sha256 header says
//     UNSIGNED-PAYLOAD, else the lower-case hex SHA-256 of the body.
// Returns kInvalidArgument when the method is empty or not a token, the target is not in
// origin or absolute form, a '%' is not followed by two hex digits, a signed header is
// missing or sent more than once, or X-Sdk-Content-Sha256 holds a hash other than the body's.
//
// Known divergence from the Node SDK (none affects the HSS paths, whose segments are plain
// ids): it signs each *raw* path segment through encodeURIComponent, so a path holding '%XX'
// or one of !*'() signs differently from the decoded-then-RFC-3986 form that api-reference
// §2.2 specifies and this function implements.
Result<std::string> CanonicalRequest(const WireRequest& req,
                                     const std::vector<std::string>& signed_headers);

// "SDK-HMAC-SHA256\n" + sdk_date + "\n" + hex(SHA-256(canonical_request)).
std::string StringToSign(std::string_view sdk_date, std::string_view canonical_request);

// Lower-case hex of HMAC-SHA256(key = secret_key bytes, data = string_to_sign).
std::string SignatureHex(std::string_view secret_key, std::string_view string_to_sign);

// Parses an X-Sdk-Date value "YYYYMMDDTHHMMSSZ" (UTC). Strict: exactly 16 characters, digits
// where digits belong, a real calendar date, hour < 24, minute < 60, second < 60. Returns
// kInvalidArgument otherwise.
Result<std::chrono::system_clock::time_point> ParseSdkDate(std::string_view text);

// Formats `t` (truncated to whole seconds) as "YYYYMMDDTHHMMSSZ"; years 0000 to 9999.
std::string FormatSdkDate(std::chrono::system_clock::time_point t);

// Signs `req` the way the SDKs do and returns the Authorization header value. `req` must
// already carry X-Sdk-Date and every header named in `signed_headers` (lower-case names).
// For tests and internal clients; errors as CanonicalRequest, or kInvalidArgument when
// X-Sdk-Date is missing.
Result<std::string> SignSdkRequest(const WireRequest& req, std::string_view access_key,
                                   std::string_view secret_key,
                                   const std::vector<std::string>& signed_headers);

// Returns the secret key of an access key. kNotFound, kUnauthenticated or kPermissionDenied
// mean "no usable key" (unknown, disabled); any other error is an infrastructure failure.
using SecretLookup = std::function<Result<std::string>(std::string_view access_key)>;

// Verifies SDK-HMAC-SHA256 signed requests. Immutable after construction; thread-safe.
class SdkVerifier {
 public:
  static constexpr std::chrono::seconds kDefaultMaxClockSkew{15 * 60};

  explicit SdkVerifier(std::chrono::seconds max_clock_skew = kDefaultMaxClockSkew)
      : max_clock_skew_(max_clock_skew) {}

  // Returns the access key of a correctly signed request. Checks, in order: exactly one
  // Authorization header that ParseSdkAuthorization accepts; exactly one X-Sdk-Date that
  // ParseSdkDate accepts and that is at most max_clock_skew away from `now` in either direction
  // (the bound itself passes); x-sdk-date among the signed headers; the canonical request can
  // be built; `secret_for_ak` knows the key and returns a non-empty secret; the signature
  // matches (constant-time comparison). Every such failure is kUnauthenticated with a message
  // starting with kAuthFailurePrefix, e.g. "...: verify aksk signature fail"; messages never
  // contain the secret or the expected signature. Errors of `secret_for_ak` other than those
  // listed at SecretLookup are returned with their own kind, so a store outage is not
  // reported as bad credentials. Calls `secret_for_ak` at most once, only after the cheap
  // checks pass. Rate limiting of failures (the gateway locks an AK after 5) is the caller's.
  Result<std::string> Verify(const WireRequest& req, std::chrono::system_clock::time_point now,
                             const SecretLookup& secret_for_ak) const;

 private:
  std::chrono::seconds max_clock_skew_;
};

}  // namespace portatlas::api::auth

#endif  // PORTATLAS_API_AUTH_SDK_SIGNER_H_
