#include "api/aliyun/rpc_params.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "api/aliyun/rpc_errors.h"
#include "api/auth/uri_encoding.h"
#include "core/text.h"

namespace portatlas::api::aliyun {
namespace {

// Appends the decoded pairs of a form-urlencoded string to `out`, stopping with an error past
// kMaxParams pairs in `out`.
Status ParseForm(std::string_view text, std::string_view where, std::vector<Param>* out,
                 size_t already) {
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (part.empty()) continue;
    if (out->size() + already >= kMaxParams) {
      return RpcError(ErrorKind::kInvalidArgument, "InvalidParameter",
                      fmt::format("The request has more than {} parameters.", kMaxParams));
    }
    const size_t eq = part.find('=');
    auto name = auth::PercentDecode(part.substr(0, eq), /*plus_is_space=*/true);
    auto value = auth::PercentDecode(
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
    if (!name || !value) {
      return RpcError(ErrorKind::kInvalidArgument, "InvalidParameter",
                      fmt::format("The {} holds a malformed percent-encoding.", where));
    }
    if (!IsValidUtf8(*name) || !IsValidUtf8(*value)) {
      return RpcError(ErrorKind::kInvalidArgument, "InvalidParameter",
                      fmt::format("The {} holds a parameter that is not valid UTF-8.", where));
    }
    out->emplace_back(std::move(*name), std::move(*value));
  }
  return Status::Ok();
}

}  // namespace

std::vector<Param> RpcParams::All() const {
  std::vector<Param> out = query;
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Status RpcParams::CheckNoRepeats() const {
  std::vector<std::string_view> names;
  names.reserve(query.size() + body.size());
  for (const auto* list : {&query, &body}) {
    for (const auto& [k, v] : *list) names.push_back(k);
  }
  std::sort(names.begin(), names.end());
  auto repeat = std::adjacent_find(names.begin(), names.end());
  if (repeat != names.end()) return InvalidParameter(*repeat, "It is given more than once.");
  return Status::Ok();
}

Result<std::optional<std::string>> RpcParams::Get(std::string_view name) const {
  std::optional<std::string> found;
  for (const auto* list : {&query, &body}) {
    for (const auto& [k, v] : *list) {
      if (k != name) continue;
      if (found) return InvalidParameter(name, "It is given more than once.");
      found = v;
    }
  }
  return found;
}

Result<std::optional<int64_t>> RpcParams::Int(std::string_view name, int64_t min,
                                              int64_t max) const {
  PA_ASSIGN_OR_RETURN(raw, Get(name));
  if (!raw) return std::optional<int64_t>();
  const std::string& v = *raw;
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec == std::errc::invalid_argument || end != v.data() + v.size()) {
    return InvalidParameter(name, "It must be an integer.");
  }
  if (ec == std::errc::result_out_of_range || n < min || n > max) {
    return InvalidParameter(name, fmt::format("It must be from {} to {}.", min, max));
  }
  return std::optional<int64_t>(n);
}

Result<std::optional<std::string>> RpcParams::String(std::string_view name,
                                                     size_t max_bytes) const {
  PA_ASSIGN_OR_RETURN(raw, Get(name));
  if (raw && raw->size() > max_bytes) {
    return InvalidParameter(name, fmt::format("It must have at most {} bytes.", max_bytes));
  }
  return raw;
}

Result<std::vector<std::string>> RpcParams::RepeatList(std::string_view name, size_t limit) const {
  const std::string prefix = fmt::format("{}.", name);
  std::map<uint64_t, std::string> items;
  for (const auto* list : {&query, &body}) {
    for (const auto& [k, v] : *list) {
      if (k.size() <= prefix.size() || k.compare(0, prefix.size(), prefix) != 0) continue;
      const std::optional<uint64_t> index = ParseUint(std::string_view(k).substr(prefix.size()));
      if (!index || *index < 1 || *index > limit) {
        return InvalidParameter(k, fmt::format("The index must be from 1 to {}.", limit));
      }
      if (!items.emplace(*index, v).second) return InvalidParameter(k, "It is given twice.");
    }
  }
  std::vector<std::string> out;
  for (auto& [index, value] : items) {
    if (index != out.size() + 1) {
      return InvalidParameter(fmt::format("{}{}", prefix, out.size() + 1), "It is missing.");
    }
    out.push_back(std::move(value));
  }
  return out;
}

bool IsFormContentType(std::string_view content_type) {
  const std::string_view media = Trim(content_type.substr(0, content_type.find(';')));
  return EqualsIgnoreCaseAscii(media, "application/x-www-form-urlencoded");
}

Result<RpcParams> ParseRpcParams(const Request& req) {
  RpcParams p;
  const std::string_view target = req.target;
  const size_t q = target.find('?');
  if (q != std::string_view::npos) {
    PA_RETURN_IF_ERROR(ParseForm(target.substr(q + 1), "query", &p.query, 0));
  }
  const auto content_type = req.Header("Content-Type");
  if (content_type && IsFormContentType(*content_type)) {
    PA_RETURN_IF_ERROR(ParseForm(req.body, "form body", &p.body, p.query.size()));
  }
  return p;
}

}  // namespace portatlas::api::aliyun
