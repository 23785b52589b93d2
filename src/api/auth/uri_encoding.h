// Percent-encoding for the SDK-HMAC-SHA256 canonical request: strict decoding of what arrived
// on the wire and RFC 3986 re-encoding. Pure functions, thread-safe.
#ifndef PORTATLAS_API_AUTH_URI_ENCODING_H_
#define PORTATLAS_API_AUTH_URI_ENCODING_H_

#include <string>
#include <string_view>

#include "core/status.h"

namespace portatlas::api::auth {

// Decodes every %XX escape (hex digits of either case) in `s` into its byte. With
// `plus_is_space` a '+' becomes ' ' (the form-urlencoded rule, used for query strings; the
// Huawei Node SDK never sends a bare '+', it escapes it as %2B); otherwise '+' is kept. Every
// other byte is copied unchanged; the result may be any byte string, not necessarily UTF-8.
// Returns kInvalidArgument when a '%' is not followed by two hex digits.
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// Writes each byte of `bytes` as is when it is one of A-Z a-z 0-9 - _ . ~ and as %XX with
// upper-case hex otherwise (so ' ' becomes %20 and '/' becomes %2F).
std::string Rfc3986Encode(std::string_view bytes);

}  // namespace portatlas::api::auth

#endif  // PORTATLAS_API_AUTH_URI_ENCODING_H_
