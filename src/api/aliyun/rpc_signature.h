// Alibaba Cloud request signatures, as the official clients compute them (api-reference.md
// §5.2, §5.3, §7). Pure functions; thread-safe.
//
// V1 (HMAC-SHA1; @alicloud/pop-core, and @alicloud/openapi-client with signatureAlgorithm 'v2'):
//   CanonicalizedQueryString = every parameter of the query and form body except Signature,
//       as pe(name)=pe(value), sorted by pe(name) then pe(value) (byte order), joined with '&';
//   StringToSign = METHOD "&" pe("/") "&" pe(CanonicalizedQueryString);
//   Signature    = base64(HMAC-SHA1(key = secret + "&", StringToSign)).
// V3 (ACS3-HMAC-SHA256; openapi-client's default):
//   Authorization: ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<h1;h2>,Signature=<hex>
//   CanonicalRequest = METHOD \n path \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n
//                      HashedPayload
//   with CanonicalQuery the query's pairs only, encoded and sorted as in V1; CanonicalHeaders
//   "name:value\n" per signed header (values trimmed; a header sent several times gives its
//   values sorted and joined with ','); HashedPayload the x-acs-content-sha256 value;
//   StringToSign = "ACS3-HMAC-SHA256\n" + hex(SHA-256(CanonicalRequest));
//   Signature    = hex(HMAC-SHA256(key = secret, StringToSign)).
// pe() is RFC 3986 encoding (auth::Rfc3986Encode) of the decoded bytes: the clients send
// !'()* raw but sign them encoded, so the server always decodes and re-encodes.
#ifndef PORTATLAS_API_ALIYUN_RPC_SIGNATURE_H_
#define PORTATLAS_API_ALIYUN_RPC_SIGNATURE_H_

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/aliyun/rpc_params.h"
#include "core/status.h"

namespace portatlas::api::aliyun {

inline constexpr std::string_view kAcs3Algorithm = "ACS3-HMAC-SHA256";
// Longest Authorization header ParseAcs3Authorization accepts.
inline constexpr size_t kMaxAcs3AuthorizationBytes = 8192;

// "pe(n1)=pe(v1)&pe(n2)=pe(v2)..." over `params` without those named `skip` (if not empty),
// sorted by encoded name, then encoded value.
std::string CanonicalQuery(std::span<const Param> params, std::string_view skip = {});

// V1's StringToSign for `method` (as received; the clients send upper case) and the union of
// the request's parameters (Signature is left out here).
std::string V1StringToSign(std::string_view method, std::span<const Param> params);

// base64(HMAC-SHA1(secret + "&", string_to_sign)).
std::string V1Signature(std::string_view secret, std::string_view string_to_sign);

// The parsed V3 Authorization header.
struct Acs3Authorization {
  std::string access_key;
  std::vector<std::string> signed_headers;  // lower-cased, in the order listed
  std::string signature;                    // 64 lower-case hex digits
};

// Parses "ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<h1;h2>,Signature=<64 hex>". Spaces
// after the commas are tolerated. kInvalidArgument for another algorithm, a missing, repeated,
// empty or unknown part, an access key over 128 bytes or holding spaces, commas or controls, a
// header name that is not a token or repeated, a signature that is not 64 hex digits, or a
// header over kMaxAcs3AuthorizationBytes. Messages never echo the header.
Result<Acs3Authorization> ParseAcs3Authorization(std::string_view header);

// V3's canonical request. `path` is the request path as received ("/" for RPC); `query` the
// decoded query pairs; `headers` every header field as received. kInvalidArgument when a signed
// header is absent.
Result<std::string> V3CanonicalRequest(std::string_view method, std::string_view path,
                                       std::span<const Param> query,
                                       std::span<const std::pair<std::string, std::string>> headers,
                                       std::span<const std::string> signed_headers,
                                       std::string_view hashed_payload);

// "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical_request)).
std::string V3StringToSign(std::string_view canonical_request);

// hex(HMAC-SHA256(secret, string_to_sign)), lower case.
std::string V3Signature(std::string_view secret, std::string_view string_to_sign);

// Parses a Timestamp / x-acs-date value "YYYY-MM-DDThh:mm:ssZ" (UTC). Strict: exactly 20
// characters, a real calendar date in years 1970-2199, hour < 24, minute and second < 60.
// kInvalidArgument otherwise.
Result<std::chrono::system_clock::time_point> ParseAcsTimestamp(std::string_view text);

// Formats `t` (truncated to whole seconds) as "YYYY-MM-DDThh:mm:ssZ".
std::string FormatAcsTimestamp(std::chrono::system_clock::time_point t);

}  // namespace portatlas::api::aliyun

#endif  // PORTATLAS_API_ALIYUN_RPC_SIGNATURE_H_
