// Test helpers: Alibaba RPC requests signed the way pop-core (V1) and openapi-client (V3) sign
// them. The signing arithmetic is the library's own (rpc_signature.h), which the published V1
// vector and the captured V3 request pin down (rpc_signature_test.cc).
#ifndef PORTATLAS_API_ALIYUN_RPC_TEST_UTIL_H_
#define PORTATLAS_API_ALIYUN_RPC_TEST_UTIL_H_

#include <chrono>
#include <string>
#include <vector>

#include "api/aliyun/rpc_signature.h"
#include "api/auth/digest.h"
#include "api/auth/uri_encoding.h"
#include "api/http.h"

namespace portatlas::api::aliyun::testing {

struct Key {
  std::string id;
  std::string secret;
};

// "n1=v1&n2=v2" with RFC 3986 encoding, in the order given.
inline std::string Encode(const std::vector<Param>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += auth::Rfc3986Encode(k) + "=" + auth::Rfc3986Encode(v);
  }
  return out;
}

// pop-core's V1 request: the common parameters (any of which `params` may override, as
// pop-core lets them) plus `params`, signed; GET puts everything in the query, POST in a form
// body with the target "/".
inline Request SignedV1(const std::string& method, const std::vector<Param>& params, const Key& key,
                        std::chrono::system_clock::time_point at, const std::string& nonce) {
  std::vector<Param> all = {{"Format", "JSON"},
                            {"Version", "2017-11-29"},
                            {"AccessKeyId", key.id},
                            {"SignatureMethod", "HMAC-SHA1"},
                            {"SignatureVersion", "1.0"},
                            {"SignatureNonce", nonce},
                            {"Timestamp", FormatAcsTimestamp(at)}};
  for (const Param& p : params) {
    bool replaced = false;
    for (Param& q : all) {
      if (q.first == p.first) {
        q.second = p.second;
        replaced = true;
      }
    }
    if (!replaced) all.push_back(p);
  }
  all.emplace_back("Signature", V1Signature(key.secret, V1StringToSign(method, all)));
  Request r;
  r.method = method;
  if (method == "POST") {
    r.target = "/";
    r.body = Encode(all);
    r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  } else {
    r.target = "/?" + Encode(all);
  }
  r.headers.emplace_back("host", "127.0.0.1:8081");
  return r;
}

// openapi-client's default V3 request: `query` in the query string, `body` (if any) as a form
// body, action and version in x-acs-* headers, every x-acs-* header and host signed.
inline Request SignedV3(const std::string& method, const std::string& action,
                        const std::vector<Param>& query, const std::vector<Param>& body,
                        const Key& key, std::chrono::system_clock::time_point at,
                        const std::string& nonce, const std::string& version = "2017-11-29") {
  Request r;
  r.method = method;
  r.target = query.empty() ? "/" : "/?" + Encode(query);
  r.body = Encode(body);
  r.headers = {{"host", "127.0.0.1:8081"},
               {"x-acs-version", version},
               {"x-acs-action", action},
               {"user-agent", "AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/1"},
               {"x-acs-date", FormatAcsTimestamp(at)},
               {"x-acs-signature-nonce", nonce},
               {"accept", "application/json"},
               {"x-acs-content-sha256", auth::Sha256Hex(r.body)},
               {"x-acs-credentials-provider", "static_ak"}};
  std::vector<std::string> names = {
      "host",       "x-acs-action",          "x-acs-content-sha256", "x-acs-credentials-provider",
      "x-acs-date", "x-acs-signature-nonce", "x-acs-version"};
  if (!body.empty()) {
    r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    names.insert(names.begin(), "content-type");  // sorted: before host
  }
  const std::string payload = auth::Sha256Hex(r.body);
  const std::string creq = *V3CanonicalRequest(method, "/", query, r.headers, names, payload);
  std::string signed_names;
  for (const std::string& n : names) signed_names += (signed_names.empty() ? "" : ";") + n;
  r.headers.emplace_back("Authorization", std::string(kAcs3Algorithm) + " Credential=" + key.id +
                                              ",SignedHeaders=" + signed_names + ",Signature=" +
                                              V3Signature(key.secret, V3StringToSign(creq)));
  return r;
}

}  // namespace portatlas::api::aliyun::testing

#endif  // PORTATLAS_API_ALIYUN_RPC_TEST_UTIL_H_
