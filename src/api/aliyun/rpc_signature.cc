#include "api/aliyun/rpc_signature.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "api/auth/base64.h"
#include "api/auth/digest.h"
#include "api/auth/uri_encoding.h"
#include "core/text.h"

namespace portatlas::api::aliyun {
namespace {

constexpr size_t kMaxAccessKeyBytes = 128;
constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2199;  // system_clock counts nanoseconds in 64 bits: about 2262

bool IsAccessKey(std::string_view s) { return IsPrintableWord(s, kMaxAccessKeyBytes, ",;=\"\\"); }

}  // namespace

std::string CanonicalQuery(std::span<const Param> params, std::string_view skip) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) {
    if (!skip.empty() && name == skip) continue;
    encoded.emplace_back(auth::Rfc3986Encode(name), auth::Rfc3986Encode(value));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string V1StringToSign(std::string_view method, std::span<const Param> params) {
  return fmt::format("{}&{}&{}", method, auth::Rfc3986Encode("/"),
                     auth::Rfc3986Encode(CanonicalQuery(params, "Signature")));
}

std::string V1Signature(std::string_view secret, std::string_view string_to_sign) {
  return auth::Base64Encode(auth::HmacSha1(fmt::format("{}&", secret), string_to_sign));
}

Result<Acs3Authorization> ParseAcs3Authorization(std::string_view header) {
  if (header.size() > kMaxAcs3AuthorizationBytes) {
    return InvalidArgument("Authorization header is too long");
  }
  std::string_view s = Trim(header);
  if (s.substr(0, kAcs3Algorithm.size()) != kAcs3Algorithm || s.size() == kAcs3Algorithm.size() ||
      s[kAcs3Algorithm.size()] != ' ') {
    return InvalidArgument("Authorization header does not use ACS3-HMAC-SHA256");
  }
  s.remove_prefix(kAcs3Algorithm.size());
  std::optional<std::string_view> credential, signed_headers, signature;
  for (const std::string_view raw_part : SplitOn(s, ',')) {
    const std::string_view part = Trim(raw_part);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) return InvalidArgument("Authorization part without '='");
    const std::string_view name = part.substr(0, eq);
    std::optional<std::string_view>* slot = name == "Credential"      ? &credential
                                            : name == "SignedHeaders" ? &signed_headers
                                            : name == "Signature"     ? &signature
                                                                      : nullptr;
    if (slot == nullptr) return InvalidArgument("unknown Authorization part");
    if (slot->has_value()) return InvalidArgument("repeated Authorization part");
    *slot = part.substr(eq + 1);
  }
  if (!credential || !signed_headers || !signature) {
    return InvalidArgument("Authorization header lacks Credential, SignedHeaders or Signature");
  }
  if (!IsAccessKey(*credential)) return InvalidArgument("Authorization Credential is invalid");
  if (!IsHexOfLength(*signature, 64)) {
    return InvalidArgument("Authorization Signature is not 64 hex digits");
  }
  Acs3Authorization out;
  out.access_key = std::string(*credential);
  out.signature = LowerAscii(*signature);
  for (const std::string_view name : SplitOn(*signed_headers, ';')) {
    if (!IsHttpToken(name)) return InvalidArgument("SignedHeaders holds an empty or invalid name");
    std::string lower = LowerAscii(name);
    if (std::find(out.signed_headers.begin(), out.signed_headers.end(), lower) !=
        out.signed_headers.end()) {
      return InvalidArgument("SignedHeaders names a header twice");
    }
    out.signed_headers.push_back(std::move(lower));
  }
  return out;
}

Result<std::string> V3CanonicalRequest(std::string_view method, std::string_view path,
                                       std::span<const Param> query,
                                       std::span<const std::pair<std::string, std::string>> headers,
                                       std::span<const std::string> signed_headers,
                                       std::string_view hashed_payload) {
  std::string out = fmt::format("{}\n{}\n{}\n", method, path, CanonicalQuery(query));
  std::string names;
  for (const std::string& name : signed_headers) {
    std::vector<std::string_view> values;
    for (const auto& [k, v] : headers) {
      if (EqualsIgnoreCaseAscii(k, name)) values.push_back(Trim(v));
    }
    if (values.empty()) return InvalidArgument(fmt::format("signed header {} is missing", name));
    std::sort(values.begin(), values.end());
    out += name;
    out.push_back(':');
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += values[i];
    }
    out.push_back('\n');
    if (!names.empty()) names.push_back(';');
    names += name;
  }
  out += fmt::format("\n{}\n{}", names, hashed_payload);
  return out;
}

std::string V3StringToSign(std::string_view canonical_request) {
  return fmt::format("{}\n{}", kAcs3Algorithm, auth::Sha256Hex(canonical_request));
}

std::string V3Signature(std::string_view secret, std::string_view string_to_sign) {
  return auth::HmacSha256Hex(secret, string_to_sign);
}

Result<std::chrono::system_clock::time_point> ParseAcsTimestamp(std::string_view text) {
  const Status bad = InvalidArgument("the time is not of the form YYYY-MM-DDThh:mm:ssZ");
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != 'Z') {
    return bad;
  }
  const auto number = [&](size_t pos, size_t len) { return ParseUint(text.substr(pos, len)); };
  const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return bad;
  if (*year < kMinYear || *year > kMaxYear) return InvalidArgument("the year is out of range");
  const std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(*year)),
                                        std::chrono::month(static_cast<unsigned>(*month)),
                                        std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 59) {
    return InvalidArgument("the time is not a valid UTC time");
  }
  return std::chrono::system_clock::time_point(std::chrono::sys_days(ymd) +
                                               std::chrono::hours(static_cast<int>(*hour)) +
                                               std::chrono::minutes(static_cast<int>(*minute)) +
                                               std::chrono::seconds(static_cast<int>(*second)));
}

std::string FormatAcsTimestamp(std::chrono::system_clock::time_point t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::seconds>(t - day));
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

}  // namespace portatlas::api::aliyun
