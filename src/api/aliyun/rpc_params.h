// The parameters of an Alibaba RPC request (api-reference.md §5.1): the query string's and, for
// an application/x-www-form-urlencoded body, the body's. Both are decoded ('+' is a space, %XX a
// byte) and kept in arrival order; a name may repeat. Signature V1 signs their union; V3 signs
// the query and covers the body by its hash.
//
// Getters read the union strictly: a name given twice (in the query, the body, or both) is
// InvalidParameter, and so is a malformed value. Nothing is clamped (product.md decision 4).
// Values are copied; RpcParams does not refer to the request. Not thread-safe to mutate.
#ifndef PORTATLAS_API_ALIYUN_RPC_PARAMS_H_
#define PORTATLAS_API_ALIYUN_RPC_PARAMS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.h"

namespace portatlas::api::aliyun {

using Param = std::pair<std::string, std::string>;

// At most this many parameters are read from a request (query and body together); more is
// InvalidParameter. Real requests carry a few dozen.
inline constexpr size_t kMaxParams = 1000;

struct RpcParams {
  std::vector<Param> query;
  std::vector<Param> body;

  // The query followed by the body.
  std::vector<Param> All() const;

  // InvalidParameter naming the first parameter given more than once (in the query, the body
  // or both). Checked before the signature: a malformed request is a parameter error.
  Status CheckNoRepeats() const;
  // The value of `name`; nullopt when absent; InvalidParameter when given more than once.
  Result<std::optional<std::string>> Get(std::string_view name) const;
  // An integer in [min, max] written in decimal digits (an optional leading '-'); nullopt when
  // absent; InvalidParameter naming the parameter otherwise.
  Result<std::optional<int64_t>> Int(std::string_view name, int64_t min, int64_t max) const;
  // A string of at most max_bytes bytes; nullopt when absent.
  Result<std::optional<std::string>> String(std::string_view name, size_t max_bytes) const;
  // A repeat list "Name.1", "Name.2", ...: the values in index order. Indexes must be 1..limit
  // without gaps or repeats; nothing given is an empty list.
  Result<std::vector<std::string>> RepeatList(std::string_view name, size_t limit) const;
};

// True for an application/x-www-form-urlencoded Content-Type (parameters such as charset
// allowed, names compared case-insensitively).
bool IsFormContentType(std::string_view content_type);

// The parameters of `req`: its target's query and, when the Content-Type is form-urlencoded,
// its body (whatever the method). InvalidParameter for a malformed %-escape or more than
// kMaxParams parameters.
Result<RpcParams> ParseRpcParams(const Request& req);

}  // namespace portatlas::api::aliyun

#endif  // PORTATLAS_API_ALIYUN_RPC_PARAMS_H_
