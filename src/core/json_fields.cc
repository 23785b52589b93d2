#include "core/json_fields.h"

#include <fmt/format.h>
#include <rapidjson/error/en.h>

namespace portatlas {

Status ParseJsonObject(std::string_view body, const JsonShapeLimits& shape,
                       rapidjson::Document* doc) {
  if (Status s = CheckJsonShape(body, shape); !s.ok()) {
    return InvalidArgument("body: " + s.message());
  }
  doc->Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(body.data(),
                                                                                     body.size());
  if (doc->HasParseError()) {
    return InvalidArgument(fmt::format("body: is not JSON: {} at offset {}",
                                       rapidjson::GetParseError_En(doc->GetParseError()),
                                       doc->GetErrorOffset()));
  }
  if (!doc->IsObject()) return InvalidArgument("body: must be a JSON object");
  return Status::Ok();
}

Status JsonFields::Bad(const char* key, std::string_view why) const {
  return InvalidArgument(where_.empty() ? fmt::format("{}: {}", key, why)
                                        : fmt::format("{}.{}: {}", where_, key, why));
}

const JsonValue* JsonFields::Find(const char* key) const {
  auto it = obj_.FindMember(key);
  return it == obj_.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

Result<std::string> JsonFields::Str(const char* key, size_t min_len, size_t max_len,
                                    bool required) const {
  const JsonValue* v = Find(key);
  if (v == nullptr) {
    if (required) return Bad(key, "is required");
    return std::string();
  }
  if (!v->IsString()) return Bad(key, "must be a string");
  const size_t n = v->GetStringLength();
  if (n < min_len || n > max_len) {
    return Bad(key, fmt::format("must have {}-{} bytes, has {}", min_len, max_len, n));
  }
  return std::string(v->GetString(), n);
}

Result<std::optional<int64_t>> JsonFields::Int(const char* key, int64_t min, int64_t max,
                                               bool required) const {
  const JsonValue* v = Find(key);
  if (v == nullptr) {
    if (required) return Bad(key, "is required");
    return std::optional<int64_t>();
  }
  if (!v->IsInt64()) return Bad(key, "must be an integer");
  const int64_t n = v->GetInt64();
  if (n < min || n > max) return Bad(key, fmt::format("must be {}-{}", min, max));
  return std::optional<int64_t>(n);
}

Result<uint64_t> JsonFields::Uint64(const char* key, bool required) const {
  const JsonValue* v = Find(key);
  if (v == nullptr) {
    if (required) return Bad(key, "is required");
    return uint64_t{0};
  }
  if (!v->IsUint64()) return Bad(key, "must be a non-negative integer");
  return v->GetUint64();
}

}  // namespace portatlas
