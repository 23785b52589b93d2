// Strict readers of JSON request bodies: a body is parsed only after its shape is bounded
// (json_shape.h), must be one object, and every field read names itself in its error
// ("records[3].port: must be 0-65535"). A field that is absent or null counts as absent.
#ifndef PORTATLAS_CORE_JSON_FIELDS_H_
#define PORTATLAS_CORE_JSON_FIELDS_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/json_shape.h"
#include "core/status.h"

namespace portatlas {

using JsonValue = rapidjson::Value;

// Parses `body` into *doc: kInvalidArgument ("body: ...") when it passes `shape`, is not JSON
// (or not UTF-8), or is not an object. Iterative: nesting costs heap, not stack.
Status ParseJsonObject(std::string_view body, const JsonShapeLimits& shape,
                       rapidjson::Document* doc);

// The fields of one object; errors name `where`.key (or key alone when where is "").
class JsonFields {
 public:
  JsonFields(const JsonValue& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  Status Bad(const char* key, std::string_view why) const;
  const JsonValue* Find(const char* key) const;

  // A string of min_len..max_len bytes; "" when absent and not required.
  Result<std::string> Str(const char* key, size_t min_len, size_t max_len, bool required) const;
  // An integer in [min, max]; nullopt when absent and not required.
  Result<std::optional<int64_t>> Int(const char* key, int64_t min, int64_t max,
                                     bool required) const;
  // A non-negative integer up to 2^64-1; 0 when absent and not required.
  Result<uint64_t> Uint64(const char* key, bool required) const;

 private:
  const JsonValue& obj_;
  std::string where_;
};

}  // namespace portatlas

#endif  // PORTATLAS_CORE_JSON_FIELDS_H_
