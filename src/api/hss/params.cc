#include "api/hss/params.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace portatlas::api::hss {

Result<std::optional<std::string>> Params::Raw(std::string_view name) const {
  std::optional<std::string> found;
  for (const auto& [k, v] : req_.query) {
    if (k != name) continue;
    if (found) return InvalidArgument(fmt::format("{} is given more than once", name));
    found = v;
  }
  return found;
}

Result<std::optional<int64_t>> Params::Int(std::string_view name, int64_t min, int64_t max) const {
  auto raw = Raw(name);
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<int64_t>();
  const std::string& v = **raw;
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec == std::errc::invalid_argument || end != v.data() + v.size()) {
    return InvalidArgument(fmt::format("{} must be an integer, got '{}'", name, v));
  }
  if (ec == std::errc::result_out_of_range || n < min || n > max) {
    return InvalidArgument(fmt::format("{} must be between {} and {}, got {}", name, min, max, v));
  }
  return std::optional<int64_t>(n);
}

Result<std::optional<std::string>> Params::String(std::string_view name, size_t min_len,
                                                  size_t max_len) const {
  auto raw = Raw(name);
  if (!raw) return raw.error();
  if (*raw && ((*raw)->size() < min_len || (*raw)->size() > max_len)) {
    return InvalidArgument(fmt::format("{} must have {} to {} characters", name, min_len, max_len));
  }
  return raw;
}

Result<std::optional<SockType>> Params::Type() const {
  auto raw = Raw("type");
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<SockType>();
  auto t = ParseSockType(**raw);
  if (!t)
    return InvalidArgument(fmt::format("type must be TCP, TCP6, UDP or UDP6, got '{}'", **raw));
  return std::optional<SockType>(*t);
}

Result<std::optional<RiskStatus>> Params::Status() const {
  auto raw = Raw("status");
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<RiskStatus>();
  auto s = ParseRiskStatus(**raw);
  if (!s) {
    return InvalidArgument(fmt::format("status must be danger, normal or unknow, got '{}'", **raw));
  }
  return std::optional<RiskStatus>(*s);
}

Result<std::optional<store::Category>> Params::Category() const {
  auto raw = Raw("category");
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<store::Category>();
  if (**raw == "host") return std::optional<store::Category>(store::Category::kHost);
  if (**raw == "container") return std::optional<store::Category>(store::Category::kContainer);
  return InvalidArgument(fmt::format("category must be host or container, got '{}'", **raw));
}

Result<store::PageRequest> Params::Page() const {
  auto limit = Int("limit", 10, 200);
  if (!limit) return limit.error();
  auto offset = Int("offset", 0, 2000000);
  if (!offset) return offset.error();
  return store::PageRequest{static_cast<int>(limit->value_or(10)),
                            static_cast<int>(offset->value_or(0))};
}

Result<std::vector<std::string>> ResolveEps(const Request& req, const Params& params) {
  auto raw = params.String("enterprise_project_id", 0, 256);
  if (!raw) return raw.error();
  const std::string eps = raw->value_or("0").empty() ? "0" : raw->value_or("0");
  const std::vector<std::string>& granted = req.principal->eps;
  if (eps == "all_granted_eps") return granted;
  if (std::find(granted.begin(), granted.end(), eps) == granted.end()) {
    return PermissionDenied(
        fmt::format("Incorrect IAM authentication information: enterprise project '{}' is not "
                    "granted to this credential",
                    eps));
  }
  return std::vector<std::string>{eps};
}

}  // namespace portatlas::api::hss
