#include "api/auth/sdk_signer.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "api/auth/digest.h"
#include "api/auth/uri_encoding.h"
#include "core/text.h"

namespace portatlas::api::auth {
namespace {

constexpr size_t kMaxAccessKeyChars = 128;
constexpr int kMinSdkYear = 1970;
constexpr int kMaxSdkYear = 2199;  // system_clock counts nanoseconds in 64 bits: about 2262

bool IsAccessKey(std::string_view s) { return IsPrintableWord(s, kMaxAccessKeyChars, ",;=\"\\"); }

// The values of every header field named `name`, compared ASCII case-insensitively.
std::vector<std::string_view> HeaderValues(const WireRequest& req, std::string_view name) {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : req.headers) {
    if (EqualsIgnoreCaseAscii(n, name)) out.push_back(v);
  }
  return out;
}

Result<std::vector<std::string>> ParseSignedHeaders(std::string_view value) {
  std::vector<std::string> names;
  for (const std::string_view raw : SplitOn(value, ';')) {
    const std::string_view name = Trim(raw);
    if (!IsHttpToken(name)) return InvalidArgument("SignedHeaders holds an empty or invalid name");
    std::string lower = LowerAscii(name);
    if (std::find(names.begin(), names.end(), lower) != names.end()) {
      return InvalidArgument("SignedHeaders names a header twice");
    }
    names.push_back(std::move(lower));
  }
  return names;
}

// Splits a request-target into its path and query (without the '?').
Status SplitTarget(std::string_view target, std::string_view* path, std::string_view* query) {
  if (target.find('#') != std::string_view::npos) {
    return InvalidArgument("request target holds a fragment");
  }
  std::string_view rest = target;
  const auto starts_with = [&](std::string_view p) {
    return rest.size() >= p.size() && EqualsIgnoreCaseAscii(rest.substr(0, p.size()), p);
  };
  if (starts_with("http://") || starts_with("https://")) {
    rest.remove_prefix(rest.find("//") + 2);
    const size_t end = rest.find_first_of("/?");
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  } else if (rest.empty() || rest.front() != '/') {
    return InvalidArgument("request target is not in origin or absolute form");
  }
  const size_t q = rest.find('?');
  *path = rest.substr(0, q);
  *query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
  return Status::Ok();
}

Result<std::string> CanonicalUri(std::string_view path) {
  std::string out;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    const std::string_view segment =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    Result<std::string> decoded = PercentDecode(segment, /*plus_is_space=*/false);
    if (!decoded) return decoded.error().WithContext("path");
    out += Rfc3986Encode(*decoded);
    if (slash == std::string_view::npos) break;
    out.push_back('/');
    start = slash + 1;
  }
  if (out.empty() || out.back() != '/') out.push_back('/');
  return out;
}

Result<std::string> CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string_view piece : SplitOn(query, '&')) {
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    Result<std::string> name = PercentDecode(piece.substr(0, eq), /*plus_is_space=*/true);
    if (!name) return name.error().WithContext("query");
    Result<std::string> value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1), true);
    if (!value) return value.error().WithContext("query");
    pairs.emplace_back(std::move(*name), std::move(*value));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out.push_back('&');
    out += Rfc3986Encode(name);
    out.push_back('=');
    out += Rfc3986Encode(value);
  }
  return out;
}

// Appends "name:value\n" per signed header, then '\n', the names joined with ';', '\n'.
Status AppendHeaders(const WireRequest& req, const std::vector<std::string>& signed_headers,
                     std::string* out) {
  std::string names;
  for (const std::string& raw_name : signed_headers) {
    const std::string name = LowerAscii(raw_name);
    const std::vector<std::string_view> values = HeaderValues(req, name);
    if (values.empty()) return InvalidArgument(fmt::format("signed header {} is missing", name));
    if (values.size() > 1) {
      return InvalidArgument(fmt::format("signed header {} is sent more than once", name));
    }
    *out += fmt::format("{}:{}\n", name, Trim(values.front()));
    if (!names.empty()) names.push_back(';');
    names += name;
  }
  *out += '\n';
  *out += names;
  *out += '\n';
  return Status::Ok();
}

Result<std::string> PayloadHash(const WireRequest& req) {
  const std::vector<std::string_view> declared = HeaderValues(req, "x-sdk-content-sha256");
  if (declared.size() > 1) return InvalidArgument("X-Sdk-Content-Sha256 is sent more than once");
  if (!declared.empty() && Trim(declared.front()) == kUnsignedPayload) {
    return std::string(kUnsignedPayload);
  }
  std::string hash = Sha256Hex(req.body);
  if (!declared.empty() && !EqualsIgnoreCaseAscii(Trim(declared.front()), hash)) {
    return InvalidArgument("X-Sdk-Content-Sha256 does not match the body");
  }
  // The SDK signs the header's text as given when there is one.
  return declared.empty() ? hash : std::string(Trim(declared.front()));
}

Status Unauthenticated(std::string_view why) {
  return {ErrorKind::kUnauthenticated, fmt::format("{}{}", kAuthFailurePrefix, why)};
}

}  // namespace

Result<SdkAuthorization> ParseSdkAuthorization(std::string_view header) {
  if (header.size() > kMaxAuthorizationBytes) {
    return InvalidArgument("Authorization header is too long");
  }
  std::string_view s = Trim(header);
  if (s.substr(0, kSdkAlgorithm.size()) != kSdkAlgorithm ||
      (s.size() > kSdkAlgorithm.size() && s[kSdkAlgorithm.size()] != ' ' &&
       s[kSdkAlgorithm.size()] != '\t')) {
    return InvalidArgument("Authorization header does not use SDK-HMAC-SHA256");
  }
  s.remove_prefix(kSdkAlgorithm.size());
  std::optional<std::string_view> access, signed_headers, signature;
  for (const std::string_view raw_part : SplitOn(s, ',')) {
    const std::string_view part = Trim(raw_part);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) return InvalidArgument("Authorization part without '='");
    const std::string_view name = Trim(part.substr(0, eq));
    std::optional<std::string_view>* slot = name == "Access"          ? &access
                                            : name == "SignedHeaders" ? &signed_headers
                                            : name == "Signature"     ? &signature
                                                                      : nullptr;
    if (slot == nullptr) return InvalidArgument("unknown Authorization part");
    if (slot->has_value()) return InvalidArgument("repeated Authorization part");
    *slot = Trim(part.substr(eq + 1));
  }
  if (!access || !signed_headers || !signature) {
    return InvalidArgument("Authorization header lacks Access, SignedHeaders or Signature");
  }
  if (!IsAccessKey(*access)) return InvalidArgument("Authorization Access is empty or invalid");
  if (!IsHexOfLength(*signature, 64)) {
    return InvalidArgument("Authorization Signature is not 64 hex digits");
  }
  Result<std::vector<std::string>> names = ParseSignedHeaders(*signed_headers);
  if (!names) return names.error();
  return SdkAuthorization{std::string(*access), std::move(*names), LowerAscii(*signature)};
}

Result<std::string> CanonicalRequest(const WireRequest& req,
                                     const std::vector<std::string>& signed_headers) {
  if (!IsHttpToken(req.method)) return InvalidArgument("request method is empty or not a token");
  std::string_view path, query;
  PA_RETURN_IF_ERROR(SplitTarget(req.target, &path, &query));
  Result<std::string> uri = CanonicalUri(path);
  if (!uri) return uri.error();
  Result<std::string> canonical_query = CanonicalQuery(query);
  if (!canonical_query) return canonical_query.error();
  Result<std::string> payload_hash = PayloadHash(req);
  if (!payload_hash) return payload_hash.error();

  std::string out = UpperAscii(req.method);
  out += '\n';
  out += *uri;
  out += '\n';
  out += *canonical_query;
  out += '\n';
  PA_RETURN_IF_ERROR(AppendHeaders(req, signed_headers, &out));
  out += *payload_hash;
  return out;
}

std::string StringToSign(std::string_view sdk_date, std::string_view canonical_request) {
  return fmt::format("{}\n{}\n{}", kSdkAlgorithm, sdk_date, Sha256Hex(canonical_request));
}

std::string SignatureHex(std::string_view secret_key, std::string_view string_to_sign) {
  return HmacSha256Hex(secret_key, string_to_sign);
}

Result<std::chrono::system_clock::time_point> ParseSdkDate(std::string_view text) {
  const Status bad = InvalidArgument("X-Sdk-Date is not of the form YYYYMMDDTHHMMSSZ");
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return bad;
  const auto number = [&](size_t pos, size_t len) -> std::optional<uint64_t> {
    return ParseUint(text.substr(pos, len));
  };
  const auto year = number(0, 4), month = number(4, 2), day = number(6, 2);
  const auto hour = number(9, 2), minute = number(11, 2), second = number(13, 2);
  if (!year || !month || !day || !hour || !minute || !second) return bad;
  if (*year < kMinSdkYear || *year > kMaxSdkYear) {
    return InvalidArgument("X-Sdk-Date year is out of range");
  }
  const std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(*year)),
                                        std::chrono::month(static_cast<unsigned>(*month)),
                                        std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 59) {
    return InvalidArgument("X-Sdk-Date is not a valid UTC time");
  }
  return std::chrono::system_clock::time_point(std::chrono::sys_days(ymd) +
                                               std::chrono::hours(static_cast<int>(*hour)) +
                                               std::chrono::minutes(static_cast<int>(*minute)) +
                                               std::chrono::seconds(static_cast<int>(*second)));
}

std::string FormatSdkDate(std::chrono::system_clock::time_point t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::seconds>(t - day));
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

Result<std::string> SignSdkRequest(const WireRequest& req, std::string_view access_key,
                                   std::string_view secret_key,
                                   const std::vector<std::string>& signed_headers) {
  const std::vector<std::string_view> dates = HeaderValues(req, "x-sdk-date");
  if (dates.size() != 1) return InvalidArgument("the request needs exactly one X-Sdk-Date");
  Result<std::string> canonical = CanonicalRequest(req, signed_headers);
  if (!canonical) return canonical.error();
  std::string names;
  for (const std::string& name : signed_headers) {
    if (!names.empty()) names.push_back(';');
    names += LowerAscii(name);
  }
  return fmt::format("{} Access={}, SignedHeaders={}, Signature={}", kSdkAlgorithm, access_key,
                     names,
                     SignatureHex(secret_key, StringToSign(Trim(dates.front()), *canonical)));
}

Result<std::string> SdkVerifier::Verify(const WireRequest& req,
                                        std::chrono::system_clock::time_point now,
                                        const SecretLookup& secret_for_ak) const {
  const std::vector<std::string_view> auth_values = HeaderValues(req, "authorization");
  if (auth_values.empty()) return Unauthenticated("authorization header not found");
  if (auth_values.size() > 1) return Unauthenticated("authorization header is repeated");
  Result<SdkAuthorization> auth = ParseSdkAuthorization(auth_values.front());
  if (!auth) return Unauthenticated(auth.error().message());

  const std::vector<std::string_view> dates = HeaderValues(req, "x-sdk-date");
  if (dates.empty()) return Unauthenticated("x-sdk-date not found");
  if (dates.size() > 1) return Unauthenticated("x-sdk-date is repeated");
  const std::string_view date_text = Trim(dates.front());
  Result<std::chrono::system_clock::time_point> date = ParseSdkDate(date_text);
  if (!date) return Unauthenticated(date.error().message());
  if (now - *date > max_clock_skew_) return Unauthenticated("x-sdk-date expired");
  if (*date - now > max_clock_skew_) return Unauthenticated("x-sdk-date is in the future");
  const auto& names = auth->signed_headers;
  if (std::find(names.begin(), names.end(), "x-sdk-date") == names.end()) {
    return Unauthenticated("x-sdk-date is not a signed header");
  }

  Result<std::string> canonical = CanonicalRequest(req, names);
  if (!canonical) {
    return Unauthenticated("verify aksk signature fail: " + canonical.error().message());
  }
  Result<std::string> secret = secret_for_ak(auth->access_key);
  if (!secret) {
    const ErrorKind kind = secret.error().kind();
    if (kind != ErrorKind::kNotFound && kind != ErrorKind::kUnauthenticated &&
        kind != ErrorKind::kPermissionDenied) {
      return secret.error().WithContext("looking up the secret key");
    }
  }
  if (!secret || secret->empty()) {
    return Unauthenticated("Get secretKey failed,ak:***,err:ak not exist");
  }
  const std::string expected = SignatureHex(*secret, StringToSign(date_text, *canonical));
  if (!ConstantTimeEquals(expected, auth->signature)) {
    return Unauthenticated("verify aksk signature fail");
  }
  return std::move(auth->access_key);
}

}  // namespace portatlas::api::auth
