// libFuzzer target for the Alibaba RPC request path: ParseRpcParams, ParseAcs3Authorization,
// ParseAcsTimestamp, RpcVerifier::Verify (V1 and V3) and the error bodies (JSON and XML) on
// requests built from the input; then the input's own parameters, signed here with V1, must
// verify.
//
// Input layout (so seeds stay readable): line 1 is the method, line 2 the request-target, then
// "Name: value" header lines up to an empty line; the rest is the body.
#include <rapidjson/document.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/aliyun/rpc_errors.h"
#include "api/aliyun/rpc_test_util.h"
#include "api/aliyun/rpc_verifier.h"
#include "core/text.h"

namespace {

using namespace portatlas;
using namespace portatlas::api;
using namespace portatlas::api::aliyun;

const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days(std::chrono::year(2026) / 11 / 21) + std::chrono::hours(8);
const testing::Key kKey{"AKFUZZ", "sk"};

std::string_view NextLine(std::string_view& in) {
  const size_t nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

Request BuildRequest(std::string_view in) {
  Request req;
  req.method = NextLine(in);
  req.target = NextLine(in);
  while (!in.empty()) {
    const std::string_view line = NextLine(in);
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      req.headers.emplace_back(line, "");
    } else {
      req.headers.emplace_back(line.substr(0, colon), Trim(line.substr(colon + 1)));
    }
  }
  req.body = in;
  req.request_id = "FUZZ";
  return req;
}

RpcVerifier NewVerifier() {
  return RpcVerifier(
      [](std::string_view ak) -> Result<std::optional<AccessKeyGrant>> {
        if (ak != kKey.id) return std::optional<AccessKeyGrant>();
        return std::optional<AccessKeyGrant>(
            AccessKeyGrant{Principal{"c", "p", {"0"}}, kKey.secret});
      },
      [] { return kNow; });
}

// An error must be a 4xx/5xx with a body that carries the five fields.
void CheckErrorBody(const Status& st) {
  const Response json = ErrorResponse(st, ErrorContext{"FUZZ"});
  if (json.status < 400) __builtin_trap();
  rapidjson::Document d;
  d.Parse(json.body.c_str(), json.body.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("Code") || !d["Code"].IsString() ||
      d.MemberCount() != 5) {
    __builtin_trap();
  }
  ErrorContext xml_ctx{"FUZZ"};
  xml_ctx.xml = true;
  const Response xml = ErrorResponse(st, xml_ctx);
  if (xml.status != json.status || xml.body.find("</Error>") == std::string::npos) __builtin_trap();
}

bool IsCommon(std::string_view name) {
  return name == "AccessKeyId" || name == "Signature" || name == "SignatureMethod" ||
         name == "SignatureVersion" || name == "SignatureNonce" || name == "Timestamp";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Request req = BuildRequest(std::string_view(reinterpret_cast<const char*>(data), size));

  for (const auto& [name, value] : req.headers) {
    auto authz = ParseAcs3Authorization(value);
    if (authz && (authz->signature.size() != 64 || authz->access_key.empty() ||
                  authz->signed_headers.empty())) {
      __builtin_trap();
    }
    auto at = ParseAcsTimestamp(value);
    if (at && FormatAcsTimestamp(*at) != value) __builtin_trap();
  }

  auto params = ParseRpcParams(req);
  if (!params) {
    if (params.error().kind() != ErrorKind::kInvalidArgument) __builtin_trap();
    CheckErrorBody(params.error());
    return 0;
  }
  RpcVerifier verifier = NewVerifier();
  auto who = verifier.Verify(req, *params);
  if (!who) {
    const ErrorKind k = who.error().kind();
    if (k != ErrorKind::kInvalidArgument && k != ErrorKind::kUnauthenticated &&
        k != ErrorKind::kNotFound) {
      __builtin_trap();
    }
    CheckErrorBody(who.error());
  } else if (who->project != "p") {
    __builtin_trap();
  }

  // The same parameters, signed as pop-core signs them, verify; and only once.
  std::vector<Param> own;
  for (const Param& p : params->All()) {
    if (!IsCommon(p.first)) own.push_back(p);
  }
  if (own.size() + 8 > kMaxParams) return 0;
  for (const std::string method : {"GET", "POST"}) {
    const Request signed_req = testing::SignedV1(method, own, kKey, kNow, "fuzz-nonce");
    auto signed_params = ParseRpcParams(signed_req);
    if (!signed_params) __builtin_trap();
    RpcVerifier fresh = NewVerifier();
    auto ok = fresh.Verify(signed_req, *signed_params);
    if (!ok) {
      // Only a parameter given twice may stop it (a common one the input repeated is dropped).
      if (ok.error().message().find("[InvalidParameter]") != 0) __builtin_trap();
      continue;
    }
    if (fresh.Verify(signed_req, *signed_params)) __builtin_trap();  // the nonce is spent
  }
  return 0;
}
