// SdkVerifier against requests captured from the real Node SDK and the official test vector.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "api/auth/sdk_signer.h"

namespace portatlas::api::auth {
namespace {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kAk[] = "TESTAK0000000000";
constexpr char kSk[] = "TESTSKsecret";
constexpr char kProject[] = "0123456789abcdef0123456789abcdef";
constexpr char kDate[] = "20261121T111001Z";
constexpr char kUserAgent[] =
    "huaweicloud-usdk-nodejs/3.0; os/linux#6.18.44-fc-v669#x64 nodejs/v20.20.2 meta/C; "
    "app/b45b1809-0daa-4e0a-8b4f-ab9a08f83e8c";

// Header fields in the order @huaweicloud/huaweicloud-sdk-core 3.1.211 sent them to a loopback
// server (BasicCredentials AK/SK/project above), with the Authorization it computed.
Headers SdkHeaders(const std::string& content_type, const std::string& authorization,
                   bool unsigned_payload = false) {
  Headers h = {{"Accept", "application/json"},
               {"Content-Type", content_type},
               {"User-Agent", kUserAgent},
               {"X-Project-Id", kProject}};
  if (unsigned_payload) h.emplace_back("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD");
  h.insert(h.end(), {{"X-Sdk-Date", kDate},
                     {"host", "127.0.0.1:43943"},
                     {"Authorization", authorization},
                     {"Accept-Encoding", "gzip, compress, deflate, br"},
                     {"Connection", "keep-alive"}});
  return h;
}

std::string SdkAuth(const std::string& signed_headers, const std::string& signature) {
  return "SDK-HMAC-SHA256 Access=TESTAK0000000000, SignedHeaders=" + signed_headers +
         ", Signature=" + signature;
}

const std::string kSigned = "content-type;host;x-project-id;x-sdk-date";

WireRequest CapturedStatistics() {
  return {"GET",
          "/v5/0123456789abcdef0123456789abcdef/asset/port/statistics?port_string=22&category="
          "host&sort_key=port&sort_dir=desc&limit=10&offset=0",
          SdkHeaders(
              "application/json",
              SdkAuth(kSigned, "25662630019e548c77f09512c02ac034cfbcd9d1d938cdc29646d2f698930fc1")),
          ""};
}

WireRequest CapturedQuirkyQuery() {
  return {"GET",
          "/v5/0123456789abcdef0123456789abcdef/asset/ports?host_id=h1&q=a%20b!*'()~%C3%A9%2F%2B%"
          "3D%26&empty=&multi=a%20b&multi=b&multi=z&na%20me=v",
          SdkHeaders(
              "application/json",
              SdkAuth(kSigned, "1e51f18a50722dc0acfd583f965f7eeb31809ef73456c2c27d4e9c6cdb1bb372")),
          ""};
}

WireRequest CapturedJsonPost() {
  WireRequest r{
      "POST", "/v5/0123456789abcdef0123456789abcdef/things",
      SdkHeaders("application/json", SdkAuth(kSigned,
                                             "c0302d269743e9eec7313e948b33ae935491543c7643d602c94e6"
                                             "0690a2297e8")),
      "{\"name\":\"x\",\"n\":1}"};
  r.headers.emplace_back("Content-Length", "18");
  return r;
}

WireRequest CapturedTextPost() {
  return {"POST", "/v5/0123456789abcdef0123456789abcdef/upload",
          SdkHeaders("text/plain",
                     SdkAuth("content-type;host;x-project-id;x-sdk-content-sha256;x-sdk-date",
                             "71d8b0fe2b5c5cc49d868cd8734aeff3345377d2f12cfdf0b70d9dc9262bd3c6"),
                     /*unsigned_payload=*/true),
          "hello"};
}

const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days(std::chrono::year(2026) / 11 / 21) + 11h + 10min + 1s;

Result<std::string> Lookup(std::string_view ak) {
  if (ak == kAk) return std::string(kSk);
  if (ak == "QTWAOYTTINDUT2QVKYUC") return std::string("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc");
  return NotFound("no such key");
}

Result<std::string> Verify(const WireRequest& req,
                           std::chrono::system_clock::time_point now = kNow) {
  return SdkVerifier().Verify(req, now, Lookup);
}

void SetHeader(WireRequest& req, std::string_view name, std::string value) {
  for (auto& [n, v] : req.headers) {
    if (n == name) v = std::move(value);
  }
}

void RemoveHeader(WireRequest& req, std::string_view name) {
  std::erase_if(req.headers, [&](const auto& h) { return h.first == name; });
}

void ExpectUnauthenticated(const Result<std::string>& r, std::string_view fragment) {
  ASSERT_FALSE(r.has_value()) << *r;
  EXPECT_EQ(r.error().kind(), ErrorKind::kUnauthenticated);
  EXPECT_TRUE(r.error().message().starts_with(kAuthFailurePrefix)) << r.error().message();
  EXPECT_NE(r.error().message().find(fragment), std::string::npos) << r.error().message();
  EXPECT_EQ(r.error().message().find(kSk), std::string::npos);
}

TEST(SdkVerifierTest, AcceptsRequestsCapturedFromTheNodeSdk) {
  for (const WireRequest& req :
       {CapturedStatistics(), CapturedQuirkyQuery(), CapturedJsonPost(), CapturedTextPost()}) {
    Result<std::string> ak = Verify(req);
    ASSERT_TRUE(ak.has_value()) << req.target << ": " << ak.error().ToString();
    EXPECT_EQ(*ak, kAk);
  }
}

TEST(SdkVerifierTest, AcceptsTheOfficialVector) {
  const WireRequest req{
      "GET",
      "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-"
      "536f674975c0",
      {{"Content-Type", "application/json"},
       {"Host", "service.region.example.com"},
       {"X-Sdk-Date", "20191115T033655Z"},
       {"Authorization",
        "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, "
        "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"}},
      ""};
  const auto now = std::chrono::sys_days(std::chrono::year(2019) / 11 / 15) + 3h + 36min + 55s;
  Result<std::string> ak = Verify(req, now);
  ASSERT_TRUE(ak.has_value()) << ak.error().ToString();
  EXPECT_EQ(*ak, "QTWAOYTTINDUT2QVKYUC");
}

TEST(SdkVerifierTest, DateWindowIsFifteenMinutesEachWay) {
  const WireRequest req = CapturedStatistics();
  EXPECT_TRUE(Verify(req, kNow + 14min + 59s).has_value());
  EXPECT_TRUE(Verify(req, kNow + 15min).has_value());
  ExpectUnauthenticated(Verify(req, kNow + 15min + 1s), "x-sdk-date expired");
  ExpectUnauthenticated(Verify(req, kNow + 16min), "x-sdk-date expired");
  EXPECT_TRUE(Verify(req, kNow - 14min - 59s).has_value());
  EXPECT_TRUE(Verify(req, kNow - 15min).has_value());
  ExpectUnauthenticated(Verify(req, kNow - 15min - 1s), "x-sdk-date is in the future");
  ExpectUnauthenticated(Verify(req, kNow - 16min), "x-sdk-date is in the future");
}

TEST(SdkVerifierTest, ClockSkewIsConfigurable) {
  const SdkVerifier strict(60s);
  EXPECT_TRUE(strict.Verify(CapturedStatistics(), kNow + 60s, Lookup).has_value());
  EXPECT_FALSE(strict.Verify(CapturedStatistics(), kNow + 61s, Lookup).has_value());
}

TEST(SdkVerifierTest, WrongSecretFailsWithoutRevealingIt) {
  const auto wrong = [](std::string_view) -> Result<std::string> { return std::string("nope"); };
  Result<std::string> r = SdkVerifier().Verify(CapturedStatistics(), kNow, wrong);
  ExpectUnauthenticated(r, "verify aksk signature fail");
  EXPECT_EQ(r.error().message().find("nope"), std::string::npos);
  EXPECT_EQ(r.error().message().find("25662630"), std::string::npos);
}

TEST(SdkVerifierTest, UnknownAccessKeyFails) {
  WireRequest req = CapturedStatistics();
  std::string auth =
      SdkAuth(kSigned, "25662630019e548c77f09512c02ac034cfbcd9d1d938cdc29646d2f698930fc1");
  auth.replace(auth.find(kAk), std::string_view(kAk).size(), "OTHERAK000000000");
  SetHeader(req, "Authorization", auth);
  ExpectUnauthenticated(Verify(req), "ak not exist");
}

TEST(SdkVerifierTest, EmptySecretIsNoSecret) {
  const auto empty = [](std::string_view) -> Result<std::string> { return std::string(); };
  ExpectUnauthenticated(SdkVerifier().Verify(CapturedStatistics(), kNow, empty), "ak not exist");
}

TEST(SdkVerifierTest, DisabledKeyIsUnauthenticated) {
  const auto disabled = [](std::string_view) -> Result<std::string> {
    return PermissionDenied("key disabled");
  };
  ExpectUnauthenticated(SdkVerifier().Verify(CapturedStatistics(), kNow, disabled), "ak not exist");
}

TEST(SdkVerifierTest, StoreFailureKeepsItsKind) {
  const auto down = [](std::string_view) -> Result<std::string> {
    return Unavailable("store is down");
  };
  Result<std::string> r = SdkVerifier().Verify(CapturedStatistics(), kNow, down);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind(), ErrorKind::kUnavailable);
}

TEST(SdkVerifierTest, LookupIsSkippedWhenCheapChecksFail) {
  int calls = 0;
  const auto counting = [&](std::string_view ak) {
    ++calls;
    return Lookup(ak);
  };
  WireRequest req = CapturedStatistics();
  RemoveHeader(req, "host");
  EXPECT_FALSE(SdkVerifier().Verify(req, kNow, counting).has_value());
  EXPECT_FALSE(SdkVerifier().Verify(CapturedStatistics(), kNow + 1h, counting).has_value());
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(SdkVerifier().Verify(CapturedStatistics(), kNow, counting).has_value());
  EXPECT_EQ(calls, 1);
}

struct Tamper {
  const char* name;
  void (*apply)(WireRequest&);
  const char* fragment;  // expected in the message
};

class SdkVerifierTamperTest : public testing::TestWithParam<Tamper> {};

TEST_P(SdkVerifierTamperTest, IsRejected) {
  WireRequest req = CapturedJsonPost();
  ASSERT_TRUE(Verify(req).has_value());
  GetParam().apply(req);
  ExpectUnauthenticated(Verify(req), GetParam().fragment);
}

constexpr char kFail[] = "verify aksk signature fail";

INSTANTIATE_TEST_SUITE_P(
    Table, SdkVerifierTamperTest,
    testing::Values(
        Tamper{"method", [](WireRequest& r) { r.method = "PUT"; }, kFail},
        Tamper{"path", [](WireRequest& r) { r.target += "x"; }, kFail},
        Tamper{"path_segment", [](WireRequest& r) { r.target += "/x"; }, kFail},
        Tamper{"query", [](WireRequest& r) { r.target += "?limit=3"; }, kFail},
        Tamper{"body", [](WireRequest& r) { r.body = "{\"name\":\"y\",\"n\":1}"; }, kFail},
        Tamper{"signed_header_value",
               [](WireRequest& r) { SetHeader(r, "X-Project-Id", "ffffffffffffffffffffffffffff"); },
               kFail},
        Tamper{"host", [](WireRequest& r) { SetHeader(r, "host", "127.0.0.1:1"); }, kFail},
        Tamper{"date_within_window",
               [](WireRequest& r) { SetHeader(r, "X-Sdk-Date", "20261121T111002Z"); }, kFail},
        Tamper{"unsigned_payload_added",
               [](WireRequest& r) {
                 r.headers.emplace_back("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD");
               },
               kFail},
        Tamper{"missing_signed_header", [](WireRequest& r) { RemoveHeader(r, "X-Project-Id"); },
               "signed header x-project-id is missing"},
        Tamper{"repeated_signed_header",
               [](WireRequest& r) { r.headers.emplace_back("HOST", "127.0.0.1:43943"); },
               "more than once"},
        Tamper{"bad_percent_encoding", [](WireRequest& r) { r.target += "?a=%zz"; },
               "malformed percent-encoding"},
        Tamper{"no_authorization", [](WireRequest& r) { RemoveHeader(r, "Authorization"); },
               "authorization header not found"},
        Tamper{"two_authorizations",
               [](WireRequest& r) { r.headers.emplace_back("authorization", "x"); }, "repeated"},
        Tamper{"garbage_authorization",
               [](WireRequest& r) { SetHeader(r, "Authorization", "Basic dXNlcjpwYXNz"); },
               "SDK-HMAC-SHA256"},
        Tamper{"signature_flipped",
               [](WireRequest& r) {
                 for (auto& [n, v] : r.headers) {
                   if (n == "Authorization") v.back() = v.back() == '0' ? '1' : '0';
                 }
               },
               kFail},
        Tamper{"no_date", [](WireRequest& r) { RemoveHeader(r, "X-Sdk-Date"); },
               "x-sdk-date not found"},
        Tamper{"two_dates", [](WireRequest& r) { r.headers.emplace_back("x-sdk-date", kDate); },
               "x-sdk-date is repeated"},
        Tamper{"bad_date", [](WireRequest& r) { SetHeader(r, "X-Sdk-Date", "2026-11-21"); },
               "YYYYMMDDTHHMMSSZ"},
        Tamper{"date_not_signed",
               [](WireRequest& r) {
                 SetHeader(r, "Authorization", *SignSdkRequest(r, kAk, kSk, {"host"}));
               },
               "x-sdk-date is not a signed header"}),
    [](const testing::TestParamInfo<Tamper>& p) { return std::string(p.param.name); });

TEST(SdkVerifierTest, TrailingSlashOnTheWireSignsTheSame) {
  // The canonical URI always ends in '/', so "/things" and "/things/" share one signature.
  WireRequest req = CapturedJsonPost();
  req.target += "/";
  EXPECT_TRUE(Verify(req).has_value());
}

TEST(SdkVerifierTest, UnsignedHeadersMayChange) {
  WireRequest req = CapturedStatistics();
  SetHeader(req, "User-Agent", "curl/8");
  req.headers.emplace_back("X-Request-Id", "abc");
  EXPECT_TRUE(Verify(req).has_value());
}

TEST(SdkVerifierTest, HeaderNamesMatchInAnyCase) {
  WireRequest req = CapturedStatistics();
  for (auto& [name, value] : req.headers) {
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  EXPECT_TRUE(Verify(req).has_value());
}

TEST(SdkVerifierTest, SignSdkRequestRoundTrips) {
  WireRequest req{"GET", "/v5/p/asset/ports?limit=10&a=b%20c", {}, ""};
  req.headers = {{"Host", "x"}, {"X-Sdk-Date", kDate}, {"Content-Type", "application/json"}};
  Result<std::string> auth = SignSdkRequest(req, kAk, kSk, {"content-type", "host", "x-sdk-date"});
  ASSERT_TRUE(auth.has_value()) << auth.error().ToString();
  req.headers.emplace_back("Authorization", *auth);
  EXPECT_EQ(*Verify(req), kAk);
}

}  // namespace
}  // namespace portatlas::api::auth
