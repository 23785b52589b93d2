// libFuzzer target for the SDK-HMAC-SHA256 verifier: ParseSdkAuthorization, CanonicalRequest,
// ParseSdkDate and SdkVerifier::Verify on requests built from the input.
//
// Input layout (so seeds stay readable): line 1 is the method, line 2 the request-target, then
// "Name: value" header lines up to an empty line; the rest is the body.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/auth/sdk_signer.h"

namespace {

using portatlas::ErrorKind;
using portatlas::Result;
using namespace portatlas::api::auth;

std::string_view NextLine(std::string_view& in) {
  const size_t nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

WireRequest BuildRequest(std::string_view in) {
  WireRequest req;
  req.method = NextLine(in);
  req.target = NextLine(in);
  while (!in.empty()) {
    const std::string_view line = NextLine(in);
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      req.headers.emplace_back(line, "");
    } else {
      req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
  }
  req.body = in;
  return req;
}

void CheckCanonical(const Result<std::string>& canonical) {
  if (!canonical) {
    if (canonical.error().kind() != ErrorKind::kInvalidArgument) __builtin_trap();
    return;
  }
  // method, URI, query, headers..., '', signed names, payload hash: URI always ends in '/'.
  const size_t first = canonical->find('\n');
  const size_t second = canonical->find('\n', first + 1);
  if (first == std::string::npos || second == std::string::npos) __builtin_trap();
  if ((*canonical)[second - 1] != '/' || (*canonical)[first + 1] != '/') __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const WireRequest req = BuildRequest(input);

  for (const auto& [name, value] : req.headers) {
    Result<SdkAuthorization> auth = ParseSdkAuthorization(value);
    if (auth) {
      if (auth->signature.size() != 64 || auth->access_key.empty() ||
          auth->signed_headers.empty()) {
        __builtin_trap();
      }
      CheckCanonical(CanonicalRequest(req, auth->signed_headers));
    }
    Result<std::chrono::system_clock::time_point> date = ParseSdkDate(value);
    if (date && FormatSdkDate(*date) != value) __builtin_trap();
  }
  CheckCanonical(CanonicalRequest(req, {"host", "x-sdk-date"}));
  CheckCanonical(CanonicalRequest(req, {}));

  const auto now = std::chrono::sys_days(std::chrono::year(2026) / 11 / 21);
  const auto lookup = [](std::string_view) -> Result<std::string> { return std::string("sk"); };
  Result<std::string> ak = SdkVerifier().Verify(req, now, lookup);
  if (!ak && ak.error().kind() != ErrorKind::kUnauthenticated) __builtin_trap();

  // A request signed here must verify.
  WireRequest signed_req = req;
  signed_req.headers.clear();
  signed_req.headers.emplace_back("X-Sdk-Date", "20261121T000000Z");
  signed_req.headers.emplace_back("Host", "h");
  Result<std::string> header = SignSdkRequest(signed_req, "AK", "sk", {"host", "x-sdk-date"});
  if (header) {
    signed_req.headers.emplace_back("Authorization", *header);
    if (!SdkVerifier().Verify(signed_req, now, lookup)) __builtin_trap();
  }
  return 0;
}
