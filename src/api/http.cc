#include "api/http.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <strings.h>

#include <array>
#include <random>

#include "api/auth/uri_encoding.h"
#include "core/json_writer.h"
#include "core/text.h"

namespace portatlas::api {

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return std::nullopt;
}

std::string_view Request::PathParam(std::string_view name) const {
  for (const auto& [k, v] : path_params) {
    if (k == name) return v;
  }
  return {};
}

Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    auto name = auth::PercentDecode(part.substr(0, eq), true);
    if (!name) return name.error();
    auto value = auth::PercentDecode(eq == std::string_view::npos ? "" : part.substr(eq + 1), true);
    if (!value) return value.error();
    if (!IsValidUtf8(*name) || !IsValidUtf8(*value)) {
      return InvalidArgument(
          fmt::format("query parameter '{}' is not valid UTF-8", RepairUtf8(*name)));
    }
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}{:016x}", rng(), rng());
}

Response JsonResponse(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response ErrorBody(int status, std::string_view code, std::string_view message,
                   std::string_view request_id) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("error_code");
  w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  w.Key("error_msg");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.Key("request_id");
  w.String(request_id.data(), static_cast<rapidjson::SizeType>(request_id.size()));
  w.EndObject();
  return JsonResponse(status, std::string(buf.GetString(), buf.GetSize()));
}

}  // namespace portatlas::api
