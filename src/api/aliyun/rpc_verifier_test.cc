// RpcVerifier: V1 and V3 requests as the clients sign them, and every way one can fail.
#include "api/aliyun/rpc_verifier.h"

#include <gtest/gtest.h>

#include "api/aliyun/rpc_test_util.h"

namespace portatlas::api::aliyun {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::system_clock;
using testing::Key;
using testing::SignedV1;
using testing::SignedV3;

const system_clock::time_point kNow{seconds(1790000000)};
const Key kKey{"AKTESTALIYUN0000", "secret-of-the-test-key"};

class RpcVerifierTest : public ::testing::Test {
 protected:
  RpcVerifierTest()
      : verifier_(
            [this](std::string_view ak) -> Result<std::optional<AccessKeyGrant>> {
              ++lookups_;
              if (!store_up_) return Unavailable("store down");
              if (ak != kKey.id) return std::optional<AccessKeyGrant>();
              return std::optional<AccessKeyGrant>(
                  AccessKeyGrant{Principal{"cred-1", "projA", {"0"}}, kKey.secret});
            },
            [this] { return now_; }) {}

  // The Alibaba code of a failed verification ("" when it passed).
  std::string Code(const Request& req) {
    auto params = ParseRpcParams(req);
    if (!params) return "params: " + params.error().ToString();
    auto who = verifier_.Verify(req, *params);
    if (who) {
      EXPECT_EQ(who->project, "projA");
      return "";
    }
    const std::string m = who.error().message();
    return m.substr(1, m.find(']') - 1);
  }

  Request V1(const std::string& method = "GET", std::vector<Param> params = {},
             const Key& key = kKey, system_clock::time_point at = kNow,
             const std::string& nonce = "") {
    params.insert(params.begin(), {"Action", "DescribePorts"});
    params.emplace_back("TaskId", "1");
    return SignedV1(method, params, key, at, nonce.empty() ? Nonce() : nonce);
  }

  Request V3(std::vector<Param> body = {}, const Key& key = kKey,
             system_clock::time_point at = kNow, const std::string& nonce = "") {
    return SignedV3("POST", "DescribePorts", {{"TaskId", "1"}, {"Asset", "a b*"}}, body, key, at,
                    nonce.empty() ? Nonce() : nonce);
  }

  std::string Nonce() { return "nonce-" + std::to_string(++nonces_); }

  system_clock::time_point now_ = kNow;
  bool store_up_ = true;
  int lookups_ = 0;
  int nonces_ = 0;
  RpcVerifier verifier_;
};

void SetParam(Request& r, const std::string& name, const std::string& value) {
  const std::string from = name + "=";
  const size_t at = r.target.find(from);
  ASSERT_NE(at, std::string::npos);
  const size_t end = r.target.find('&', at);
  r.target.replace(at, (end == std::string::npos ? r.target.size() : end) - at, from + value);
}

void SetHeader(Request& r, const std::string& name, const std::string& value) {
  for (auto& [k, v] : r.headers) {
    if (k == name) v = value;
  }
}

TEST_F(RpcVerifierTest, AcceptsV1GetAndPost) {
  EXPECT_EQ(Code(V1("GET")), "");
  EXPECT_EQ(Code(V1("POST")), "");
  // Values that need encoding, and !'()* which Node's querystring sends raw.
  Request raw = V1("GET", {{"Search", "a b!'()*~\xE4\xB8\xAD"}});
  EXPECT_EQ(Code(raw), "");
  Request unescaped = V1("GET", {{"Search", "x!'()*"}});
  SetParam(unescaped, "Search", "x!'()*");
  EXPECT_EQ(Code(unescaped), "");
}

TEST_F(RpcVerifierTest, AcceptsV1SplitBetweenQueryAndBody) {
  // openapi-client's V1 with a body: common parameters in the query, the rest in the body,
  // the signature over their union.
  Request r = V1("POST", {{"PageSize", "5"}});
  const std::string body = r.body;
  const size_t cut = body.find("&PageSize=");
  ASSERT_NE(cut, std::string::npos);
  r.target = "/?" + body.substr(0, cut);
  r.body = body.substr(cut + 1);
  EXPECT_EQ(Code(r), "");
}

TEST_F(RpcVerifierTest, AcceptsV3WithQueryOrFormBody) {
  EXPECT_EQ(Code(V3()), "");
  EXPECT_EQ(Code(V3({{"PageSize", "5"}, {"Search", "x y"}})), "");
  Request get = SignedV3("GET", "DescribePorts", {{"TaskId", "1"}}, {}, kKey, kNow, Nonce());
  EXPECT_EQ(Code(get), "");
}

TEST_F(RpcVerifierTest, WrongSecretDoesNotMatch) {
  const Key wrong{kKey.id, "not-the-secret"};
  EXPECT_EQ(Code(V1("GET", {}, wrong)), "SignatureDoesNotMatch");
  EXPECT_EQ(Code(V1("POST", {}, wrong)), "SignatureDoesNotMatch");
  EXPECT_EQ(Code(V3({}, wrong)), "SignatureDoesNotMatch");
}

TEST_F(RpcVerifierTest, MismatchShowsTheServerStringToSign) {
  Request r = V1("GET", {}, Key{kKey.id, "wrong"});
  auto params = ParseRpcParams(r);
  auto who = verifier_.Verify(r, *params);
  ASSERT_FALSE(who);
  EXPECT_NE(who.error().message().find("server string to sign is:GET&%2F&AccessKeyId%3D"),
            std::string::npos)
      << who.error().message();
  EXPECT_EQ(who.error().message().find(kKey.secret), std::string::npos);
}

TEST_F(RpcVerifierTest, TamperedRequestsDoNotMatch) {
  Request v1 = V1();
  SetParam(v1, "TaskId", "2");
  EXPECT_EQ(Code(v1), "SignatureDoesNotMatch");
  Request v1_method = V1("GET");
  v1_method.method = "POST";  // the method is signed
  EXPECT_EQ(Code(v1_method), "SignatureDoesNotMatch");
  Request v3 = V3();
  v3.target += "&PageSize=1";
  EXPECT_EQ(Code(v3), "SignatureDoesNotMatch");
  Request v3_body = V3({{"PageSize", "5"}});
  v3_body.body = "PageSize=6";  // no longer the hashed body
  EXPECT_EQ(Code(v3_body), "SignatureDoesNotMatch");
  Request v3_header = V3();
  SetHeader(v3_header, "x-acs-action", "ListUserPorts");
  EXPECT_EQ(Code(v3_header), "SignatureDoesNotMatch");
}

TEST_F(RpcVerifierTest, ReplayedNonceIsRefusedPerAccessKey) {
  const Request first = V1("GET", {}, kKey, kNow, "fixed-nonce");
  EXPECT_EQ(Code(first), "");
  EXPECT_EQ(Code(first), "SignatureNonceUsed");
  EXPECT_EQ(Code(V1("POST", {}, kKey, kNow, "fixed-nonce")), "SignatureNonceUsed");
  EXPECT_EQ(Code(V3({}, kKey, kNow, "fixed-nonce")), "SignatureNonceUsed");
  const Request v3 = V3({}, kKey, kNow, "v3-nonce");
  EXPECT_EQ(Code(v3), "");
  EXPECT_EQ(Code(v3), "SignatureNonceUsed");
}

TEST_F(RpcVerifierTest, OnlyCorrectlySignedRequestsSpendNonces) {
  EXPECT_EQ(Code(V1("GET", {}, Key{kKey.id, "wrong"}, kNow, "n")), "SignatureDoesNotMatch");
  EXPECT_EQ(Code(V1("GET", {}, kKey, kNow, "n")), "");
  EXPECT_EQ(verifier_.nonces_remembered(), 1u);
}

TEST_F(RpcVerifierTest, ANonceIsReusableOnceItsRequestWouldHaveExpired) {
  const Request r = V1("GET", {}, kKey, kNow, "n");
  EXPECT_EQ(Code(r), "");
  now_ = kNow + minutes(15);
  EXPECT_EQ(Code(r), "SignatureNonceUsed");
  now_ = kNow + minutes(15) + seconds(1);
  EXPECT_EQ(Code(r), "InvalidTimeStamp.Expired");
  EXPECT_EQ(Code(V1("GET", {}, kKey, now_, "n")), "");
}

TEST_F(RpcVerifierTest, TimestampsOutsideFifteenMinutesExpire) {
  EXPECT_EQ(Code(V1("GET", {}, kKey, kNow - minutes(15))), "");
  EXPECT_EQ(Code(V1("GET", {}, kKey, kNow + minutes(15))), "");
  EXPECT_EQ(Code(V1("GET", {}, kKey, kNow - minutes(15) - seconds(1))), "InvalidTimeStamp.Expired");
  EXPECT_EQ(Code(V1("GET", {}, kKey, kNow + minutes(16))), "InvalidTimeStamp.Expired");
  EXPECT_EQ(Code(V3({}, kKey, kNow - minutes(20))), "InvalidTimeStamp.Expired");
  EXPECT_EQ(Code(V3({}, kKey, kNow + minutes(20))), "InvalidTimeStamp.Expired");
  EXPECT_EQ(lookups_, 2);  // expired requests never reach the key lookup
}

TEST_F(RpcVerifierTest, MalformedTimestampsAreFormatErrors) {
  EXPECT_EQ(Code(V1("GET", {{"Timestamp", "2026-11-21 08:49:54"}})), "InvalidTimeStamp.Format");
  EXPECT_EQ(Code(V1("GET", {{"Timestamp", "1790000000"}})), "InvalidTimeStamp.Format");
  Request v3 = V3();
  SetHeader(v3, "x-acs-date", "Sat, 21 Nov 2026 08:50:02 GMT");
  EXPECT_EQ(Code(v3), "InvalidTimeStamp.Format");
}

TEST_F(RpcVerifierTest, UnknownAccessKeyIsNotFound) {
  const Key stranger{"AKNOBODY", "whatever"};
  EXPECT_EQ(Code(V1("GET", {}, stranger)), "InvalidAccessKeyId.NotFound");
  EXPECT_EQ(Code(V3({}, stranger)), "InvalidAccessKeyId.NotFound");
  auto params = ParseRpcParams(V1("GET", {}, stranger));
  EXPECT_EQ(verifier_.Verify(V1("GET", {}, stranger), *params).error().kind(),
            ErrorKind::kNotFound);
}

TEST_F(RpcVerifierTest, StoreOutageKeepsItsKind) {
  store_up_ = false;
  Request r = V1();
  auto params = ParseRpcParams(r);
  auto who = verifier_.Verify(r, *params);
  ASSERT_FALSE(who);
  EXPECT_EQ(who.error().kind(), ErrorKind::kUnavailable);
}

TEST_F(RpcVerifierTest, MissingOrRepeatedV1ParametersAreNamed) {
  for (const char* name : {"AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
                           "SignatureNonce", "Timestamp"}) {
    Request r = V1();
    const std::string from = std::string(name) + "=";
    const size_t at = r.target.find(from);
    ASSERT_NE(at, std::string::npos) << name;
    const size_t end = r.target.find('&', at);
    r.target.erase(at - 1, (end == std::string::npos ? r.target.size() : end) - at + 1);
    EXPECT_EQ(Code(r), std::string("Missing") + name) << r.target;
  }
  Request twice = V1();
  twice.target += "&Timestamp=" + FormatAcsTimestamp(kNow);
  EXPECT_EQ(Code(twice), "InvalidParameter");
}

TEST_F(RpcVerifierTest, OnlyHmacSha1AndVersion1) {
  EXPECT_EQ(Code(V1("GET", {{"SignatureMethod", "HMAC-SHA256"}})), "InvalidSignatureMethod");
  EXPECT_EQ(Code(V1("GET", {{"SignatureVersion", "2.0"}})), "IncompleteSignature");
  EXPECT_EQ(Code(V1("GET", {{"SignatureNonce", std::string(257, 'n')}})), "IncompleteSignature");
  EXPECT_EQ(Code(V1("GET", {{"SignatureNonce", std::string(256, 'n')}})), "");
}

TEST_F(RpcVerifierTest, V3NeedsItsHeadersSigned) {
  Request unsigned_acs = V3();
  unsigned_acs.headers.emplace_back("x-acs-extra", "1");
  EXPECT_EQ(Code(unsigned_acs), "IncompleteSignature");
  for (const char* name : {"x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}) {
    Request r = V3();
    std::erase_if(r.headers, [&](const auto& h) { return h.first == name; });
    EXPECT_EQ(Code(r), "IncompleteSignature") << name;
    Request twice = V3();
    twice.headers.emplace_back(name, "x");
    EXPECT_EQ(Code(twice), "IncompleteSignature") << name;
  }
  Request no_host = V3();
  for (auto& [k, v] : no_host.headers) {
    if (k == "Authorization") {
      const size_t at = v.find("host;");
      v.erase(at, 5);
    }
  }
  EXPECT_EQ(Code(no_host), "IncompleteSignature");
  Request two_auth = V3();
  two_auth.headers.emplace_back("authorization", "ACS3-HMAC-SHA256 x");
  EXPECT_EQ(Code(two_auth), "IncompleteSignature");
  Request garbled = V3();
  SetHeader(garbled, "Authorization", "ACS3-HMAC-SHA256 Credential=AK");
  EXPECT_EQ(Code(garbled), "IncompleteSignature");
}

TEST_F(RpcVerifierTest, ARequestWithoutSignatureIsV1MissingAccessKeyId) {
  Request r;
  r.method = "GET";
  r.target = "/?Action=DescribePorts&Version=2017-11-29";
  EXPECT_EQ(Code(r), "MissingAccessKeyId");
  r.headers.emplace_back("Authorization", "SDK-HMAC-SHA256 Access=x");
  EXPECT_FALSE(RpcVerifier::IsV3(r));
  EXPECT_EQ(Code(r), "MissingAccessKeyId");
}

}  // namespace
}  // namespace portatlas::api::aliyun
