// CanonicalRequest, StringToSign and SignatureHex against the official test vector and the
// wire forms the SDKs produce.
#include <gtest/gtest.h>

#include <string>

#include "api/auth/digest.h"
#include "api/auth/sdk_signer.h"

namespace portatlas::api::auth {
namespace {

const std::vector<std::string> kOfficialSigned = {"content-type", "host", "x-sdk-date"};

WireRequest OfficialRequest() {
  return {"GET",
          "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-"
          "536f674975c0",
          {{"Content-Type", "application/json"},
           {"Host", "service.region.example.com"},
           {"X-Sdk-Date", "20191115T033655Z"}},
          ""};
}

const char kOfficialCanonical[] =
    "GET\n"
    "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n"
    "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"
    "content-type:application/json\n"
    "host:service.region.example.com\n"
    "x-sdk-date:20191115T033655Z\n"
    "\n"
    "content-type;host;x-sdk-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(SdkCanonicalTest, OfficialVectorCanonicalRequest) {
  Result<std::string> c = CanonicalRequest(OfficialRequest(), kOfficialSigned);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(*c, kOfficialCanonical);
  EXPECT_EQ(Sha256Hex(*c), "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
}

TEST(SdkCanonicalTest, OfficialVectorStringToSignAndSignature) {
  const std::string sts = StringToSign("20191115T033655Z", kOfficialCanonical);
  EXPECT_EQ(sts,
            "SDK-HMAC-SHA256\n20191115T033655Z\n"
            "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
  EXPECT_EQ(SignatureHex("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", sts),
            "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
}

TEST(SdkCanonicalTest, OfficialVectorAuthorizationHeader) {
  Result<std::string> auth =
      SignSdkRequest(OfficialRequest(), "QTWAOYTTINDUT2QVKYUC",
                     "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", kOfficialSigned);
  ASSERT_TRUE(auth.has_value()) << auth.error().ToString();
  EXPECT_EQ(
      *auth,
      "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;"
      "x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
}

// Node's querystring.escape: everything but A-Z a-z 0-9 - . _ ~ ! * ' ( ) as %XX of UTF-8.
std::string NodeQuerystringEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      std::string_view("-._~!*'()").find(c) != std::string_view::npos;
    if (keep) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += {'%', kHex[b >> 4], kHex[b & 0x0F]};
    }
  }
  return out;
}

// The three lines after the URI: query, headers..., so the query is line 2 (0-based).
std::string QueryLine(const std::string& canonical) {
  const size_t a = canonical.find('\n', canonical.find('\n') + 1);
  return canonical.substr(a + 1, canonical.find('\n', a + 1) - a - 1);
}

std::string UriLine(const std::string& canonical) {
  const size_t a = canonical.find('\n');
  return canonical.substr(a + 1, canonical.find('\n', a + 1) - a - 1);
}

Result<std::string> CanonicalOf(std::string target) {
  return CanonicalRequest({"GET", std::move(target), {{"Host", "h"}}, ""}, {"host"});
}

TEST(SdkCanonicalTest, NodeQuerystringWireFormIsSignedRfc3986) {
  const std::string value = "a b!*'()~\xc3\xa9/+=&";
  const std::string target = "/v5/p/asset/ports?q=" + NodeQuerystringEscape(value);
  // What @huaweicloud/huaweicloud-sdk-core 3.1.211 actually put on the wire for this value.
  ASSERT_EQ(target, "/v5/p/asset/ports?q=a%20b!*'()~%C3%A9%2F%2B%3D%26");
  Result<std::string> c = CanonicalOf(target);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(QueryLine(*c), "q=a%20b%21%2A%27%28%29~%C3%A9%2F%2B%3D%26");
}

TEST(SdkCanonicalTest, PlusOnTheWireIsASpace) {
  // Form-style clients (Go's url.Values.Encode, Python requests) send spaces as '+'.
  EXPECT_EQ(QueryLine(*CanonicalOf("/?q=a+b&r=%2B")), "q=a%20b&r=%2B");
}

struct UriCase {
  const char* target;
  const char* canonical_uri;
};

class SdkCanonicalUriTest : public testing::TestWithParam<UriCase> {};

TEST_P(SdkCanonicalUriTest, RebuildsThePath) {
  Result<std::string> c = CanonicalOf(GetParam().target);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(UriLine(*c), GetParam().canonical_uri);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SdkCanonicalUriTest,
    testing::Values(UriCase{"/v5/p/asset/ports", "/v5/p/asset/ports/"},
                    UriCase{"/v5/p/asset/ports/", "/v5/p/asset/ports/"},
                    UriCase{"/v5/p/asset/ports?limit=10", "/v5/p/asset/ports/"}, UriCase{"/", "/"},
                    UriCase{"/?a=1", "/"}, UriCase{"/a//b", "/a//b/"},
                    UriCase{"/a%20b/c%2Fd/%7e/%41", "/a%20b/c%2Fd/~/A/"},
                    UriCase{"/a b/c+d/!*'()", "/a%20b/c%2Bd/%21%2A%27%28%29/"},
                    UriCase{"/caf\xc3\xa9", "/caf%C3%A9/"}, UriCase{"/./../x", "/./../x/"},
                    UriCase{"http://host:8080/v5/p?x=1", "/v5/p/"},
                    UriCase{"HTTPS://host/v5/p/", "/v5/p/"}, UriCase{"http://host", "/"},
                    UriCase{"http://host?x=1", "/"}));

struct QueryCase {
  const char* query;
  const char* canonical_query;
};

class SdkCanonicalQueryTest : public testing::TestWithParam<QueryCase> {};

TEST_P(SdkCanonicalQueryTest, DecodesSortsAndReencodes) {
  Result<std::string> c = CanonicalOf(std::string("/x") + GetParam().query);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(QueryLine(*c), GetParam().canonical_query);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SdkCanonicalQueryTest,
    testing::Values(QueryCase{"", ""}, QueryCase{"?", ""}, QueryCase{"?&&", ""},
                    QueryCase{"?b=2&a=1", "a=1&b=2"},
                    QueryCase{"?b=2&a=3&b=1&b=10", "a=3&b=1&b=10&b=2"},  // repeated names
                    QueryCase{"?multi=z&multi=b&multi=a%20b", "multi=a%20b&multi=b&multi=z"},
                    QueryCase{"?a=&b", "a=&b="},  // empty values
                    QueryCase{"?&a=1&&b=2&", "a=1&b=2"}, QueryCase{"?=v", "=v"},
                    QueryCase{"?a=b=c", "a=b%3Dc"}, QueryCase{"?A=1&a=2&_=3", "A=1&_=3&a=2"},
                    // sorted by decoded name: '-' (0x2D) before '/' (0x2F), whatever the escapes
                    QueryCase{"?a%2F=1&a-=2", "a-=2&a%2F=1"},
                    QueryCase{"?na%20me=v&empty=&host_id=h1", "empty=&host_id=h1&na%20me=v"},
                    QueryCase{"?k=%7e%7E~", "k=~~~"}));

TEST(SdkCanonicalTest, HeaderNamesMatchInAnyCaseAndValuesAreTrimmed) {
  WireRequest req{"get", "/x", {{"HOST", "  h:1 \t"}, {"x-Sdk-DATE", "20191115T033655Z"}}, ""};
  Result<std::string> c = CanonicalRequest(req, {"Host", "X-Sdk-Date"});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(*c,
            "GET\n/x/\n\nhost:h:1\nx-sdk-date:20191115T033655Z\n\nhost;x-sdk-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SdkCanonicalTest, SignedHeadersKeepTheirListedOrder) {
  WireRequest req{"GET", "/x", {{"a", "1"}, {"b", "2"}}, ""};
  EXPECT_EQ(*CanonicalRequest(req, {"b", "a"}),
            "GET\n/x/\n\nb:2\na:1\n\nb;a\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SdkCanonicalTest, UnsignedHeadersAreIgnored) {
  WireRequest req{"GET", "/x", {{"Host", "h"}, {"User-Agent", "u"}, {"host-x", "y"}}, ""};
  EXPECT_EQ(*CanonicalRequest(req, {"host"}), *CanonicalOf("/x"));
}

TEST(SdkCanonicalTest, PayloadHashIsTheBodyHash) {
  WireRequest req{"POST", "/x", {{"Host", "h"}}, "{\"name\":\"x\",\"n\":1}"};
  Result<std::string> c = CanonicalRequest(req, {"host"});
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->ends_with("\n" + Sha256Hex(req.body))) << *c;
}

TEST(SdkCanonicalTest, UnsignedPayloadHeaderReplacesTheBodyHash) {
  WireRequest req{
      "POST", "/x", {{"Host", "h"}, {"X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"}}, "hello"};
  Result<std::string> c = CanonicalRequest(req, {"host"});
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->ends_with("\nhost\nUNSIGNED-PAYLOAD")) << *c;
}

TEST(SdkCanonicalTest, DeclaredContentHashMustMatchTheBody) {
  WireRequest req{
      "POST", "/x", {{"Host", "h"}, {"X-Sdk-Content-Sha256", Sha256Hex("hello")}}, "hello"};
  Result<std::string> c = CanonicalRequest(req, {"host"});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_TRUE(c->ends_with("\n" + Sha256Hex("hello")));
  req.body = "hellO";
  EXPECT_EQ(CanonicalRequest(req, {"host"}).error().kind(), ErrorKind::kInvalidArgument);
}

TEST(SdkCanonicalTest, MissingSignedHeaderIsAnError) {
  Result<std::string> c = CanonicalRequest(OfficialRequest(), {"host", "x-project-id"});
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(c.error().message().find("x-project-id"), std::string::npos);
}

TEST(SdkCanonicalTest, RepeatedSignedHeaderIsAnError) {
  WireRequest req{"GET", "/x", {{"Host", "a"}, {"host", "b"}}, ""};
  EXPECT_EQ(CanonicalRequest(req, {"host"}).error().kind(), ErrorKind::kInvalidArgument);
}

class SdkCanonicalBadTargetTest : public testing::TestWithParam<std::string> {};

TEST_P(SdkCanonicalBadTargetTest, IsInvalidArgument) {
  Result<std::string> c = CanonicalOf(GetParam());
  ASSERT_FALSE(c.has_value()) << *c;
  EXPECT_EQ(c.error().kind(), ErrorKind::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Table, SdkCanonicalBadTargetTest,
                         testing::Values("", "*", "v5/p", "?a=1", "ftp://h/x", "/a#frag",
                                         "/a?b=1#frag",
                                         // malformed percent-encoding in path and query
                                         "/a%", "/a%2", "/a%zz/b", "/%%41", "/x?a=%", "/x?a=%4",
                                         "/x?%=1", "/x?a=%g1", "/x?a=1&b=%2", "/x?a%2=1"));

TEST(SdkCanonicalTest, BadMethodIsAnError) {
  for (const char* method : {"", "G ET", "GET\n", "G:T"}) {
    WireRequest req{method, "/x", {{"Host", "h"}}, ""};
    EXPECT_FALSE(CanonicalRequest(req, {"host"}).has_value()) << method;
  }
}

TEST(SdkCanonicalTest, OversizedRequestIsHandled) {
  std::string target = "/" + std::string(100 * 1024, 'a') + "?";
  for (int i = 0; i < 5000; ++i) {
    target += 'k';
    target += std::to_string(i % 97);
    target += "=%20&";
  }
  Result<std::string> c = CanonicalOf(target);
  ASSERT_TRUE(c.has_value());
  EXPECT_GT(c->size(), 100u * 1024);
}

}  // namespace
}  // namespace portatlas::api::auth
