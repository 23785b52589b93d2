// Base64 (RFC 4648) for sealed secrets and tokens. Pure functions, thread-safe.
#ifndef PORTATLAS_API_AUTH_BASE64_H_
#define PORTATLAS_API_AUTH_BASE64_H_

#include <string>
#include <string_view>

#include "core/status.h"

namespace portatlas::api::auth {

// Standard alphabet (A-Z a-z 0-9 + /) with '=' padding.
std::string Base64Encode(std::string_view bytes);

// URL-safe alphabet (A-Z a-z 0-9 - _) without padding.
std::string Base64UrlEncodeNoPad(std::string_view bytes);

// Strict inverse of Base64Encode: standard alphabet only, length a multiple of 4, '=' only as
// the last one or two characters, no whitespace, unused trailing bits zero (so every byte
// string has exactly one accepted encoding). Returns kParse on anything else.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace portatlas::api::auth

#endif  // PORTATLAS_API_AUTH_BASE64_H_
