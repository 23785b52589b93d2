// Alibaba signature V1 and V3: canonicalisation, the published V1 vector, a V3 request captured
// from @alicloud/openapi-client 0.4.15, and the parsers of Authorization and timestamps.
#include "api/aliyun/rpc_signature.h"

#include <gtest/gtest.h>

namespace portatlas::api::aliyun {
namespace {

using std::chrono::system_clock;

TEST(RpcSignatureTest, V1DocumentedVector) {
  // api-reference.md §5.2: ECS DescribeRegions, secret "testsecret".
  const std::vector<Param> params = {
      {"Version", "2014-05-26"},
      {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
      {"AccessKeyId", "testid"},
      {"Action", "DescribeRegions"},
      {"Format", "XML"},
      {"SignatureMethod", "HMAC-SHA1"},
      {"SignatureVersion", "1.0"},
      {"Timestamp", "2016-02-23T12:46:24Z"},
      {"Signature", "ignored: never part of what is signed"},
  };
  const std::string sts = V1StringToSign("GET", params);
  EXPECT_EQ(sts,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26"
            "SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26"
            "SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-"
            "26");
  EXPECT_EQ(V1Signature("testsecret", sts), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

TEST(RpcSignatureTest, V1MethodIsPartOfTheStringToSign) {
  const std::vector<Param> params = {{"A", "1"}};
  EXPECT_EQ(V1StringToSign("POST", params), "POST&%2F&A%3D1");
  EXPECT_NE(V1Signature("s", V1StringToSign("POST", params)),
            V1Signature("s", V1StringToSign("GET", params)));
}

TEST(RpcSignatureTest, CanonicalQueryEncodesRfc3986AndSortsByEncodedName) {
  const struct {
    std::vector<Param> params;
    const char* want;
  } cases[] = {
      {{}, ""},
      {{{"a", ""}}, "a="},
      {{{"Search", "a b"}}, "Search=a%20b"},    // space is %20, never '+'
      {{{"Search", "a+b"}}, "Search=a%2Bb"},    // a decoded '+' is a plus sign
      {{{"S", "!'()*"}}, "S=%21%27%28%29%2A"},  // what Node's querystring leaves raw
      {{{"S", "-_.~"}}, "S=-_.~"},
      {{{"S", "\xE4\xB8\xAD/="}}, "S=%E4%B8%AD%2F%3D"},  // UTF-8 bytes, upper-case hex
      {{{"S", std::string("a\0b", 3)}}, "S=a%00b"},
      // Byte order of the encoded names: upper case before lower case, '.' before digits.
      {{{"b", "1"}, {"B", "2"}, {"a", "3"}, {"A.1", "4"}, {"A1", "5"}}, "A.1=4&A1=5&B=2&a=3&b=1"},
      // A repeated name sorts by value.
      {{{"StatusList.1", "running"}, {"Z", "z"}, {"StatusList.1", "finished"}},
       "StatusList.1=finished&StatusList.1=running&Z=z"},
      {{{"a b", "c"}}, "a%20b=c"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(CanonicalQuery(c.params), c.want) << c.want;
  }
  const std::vector<Param> with_signature = {{"Signature", "x"}, {"A", "1"}, {"Signature", "y"}};
  EXPECT_EQ(CanonicalQuery(with_signature, "Signature"), "A=1");
  EXPECT_EQ(CanonicalQuery(with_signature), "A=1&Signature=x&Signature=y");
}

TEST(RpcSignatureTest, V3CapturedCanonicalRequestAndSignature) {
  // api-reference.md §5.3: openapi-client 0.4.15, POST with the parameters in the query.
  const std::vector<Param> query = {
      {"TaskId", "12345"}, {"Asset", "foo.com"}, {"CurrentPage", "1"}, {"PageSize", "10"}};
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"host", "127.0.0.1:8081"},
      {"x-acs-version", "2017-11-29"},
      {"x-acs-action", "DescribePorts"},
      {"user-agent", "AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/1"},
      {"x-acs-date", "2026-11-21T08:50:02Z"},
      {"x-acs-signature-nonce", "6e263282c903cf0091c3ac5bd8440521"},
      {"accept", "application/json"},
      {"x-acs-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"x-acs-credentials-provider", "static_ak"},
  };
  const std::vector<std::string> signed_headers = {
      "host",       "x-acs-action",          "x-acs-content-sha256", "x-acs-credentials-provider",
      "x-acs-date", "x-acs-signature-nonce", "x-acs-version"};
  auto creq =
      V3CanonicalRequest("POST", "/", query, headers, signed_headers,
                         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  ASSERT_TRUE(creq) << creq.error().ToString();
  EXPECT_EQ(*creq,
            "POST\n"
            "/\n"
            "Asset=foo.com&CurrentPage=1&PageSize=10&TaskId=12345\n"
            "host:127.0.0.1:8081\n"
            "x-acs-action:DescribePorts\n"
            "x-acs-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-acs-credentials-provider:static_ak\n"
            "x-acs-date:2026-11-21T08:50:02Z\n"
            "x-acs-signature-nonce:6e263282c903cf0091c3ac5bd8440521\n"
            "x-acs-version:2017-11-29\n"
            "\n"
            "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;"
            "x-acs-signature-nonce;x-acs-version\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string sts = V3StringToSign(*creq);
  EXPECT_EQ(sts,
            "ACS3-HMAC-SHA256\n3c07b5aa3b9a8911797899ffa557fd2057408c484cf5510d2914b0ff8fcd3633");
  // The value openapi-util's getAuthorization gives for secret "testsecret".
  EXPECT_EQ(V3Signature("testsecret", sts),
            "0315f558aae989b624a3d1e117e15c8761176e39037d26f20fec0eca3b15cc62");
}

TEST(RpcSignatureTest, V3HeadersAreTrimmedAndRepeatsJoinedSorted) {
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", "  h:1 "}, {"X-Acs-Extra", "b"}, {"x-acs-extra", " a"}};
  auto creq = V3CanonicalRequest("GET", "/", {}, headers,
                                 std::vector<std::string>{"host", "x-acs-extra"}, "p");
  ASSERT_TRUE(creq);
  EXPECT_EQ(*creq, "GET\n/\n\nhost:h:1\nx-acs-extra:a,b\n\nhost;x-acs-extra\np");
  auto missing =
      V3CanonicalRequest("GET", "/", {}, headers, std::vector<std::string>{"x-acs-date"}, "p");
  EXPECT_FALSE(missing);
}

TEST(RpcSignatureTest, ParsesAcs3Authorization) {
  const std::string sig(64, 'a');
  auto a = ParseAcs3Authorization(
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=host;X-Acs-Date,"
      "Signature=" +
      std::string(64, 'A'));
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(a->access_key, "AK1");
  EXPECT_EQ(a->signed_headers, (std::vector<std::string>{"host", "x-acs-date"}));
  EXPECT_EQ(a->signature, sig);
  // Spaces after the commas (some hand-written clients) are tolerated.
  EXPECT_TRUE(
      ParseAcs3Authorization("ACS3-HMAC-SHA256 Credential=AK1, SignedHeaders=host, "
                             "Signature=" +
                             sig));
}

TEST(RpcSignatureTest, RejectsMalformedAcs3Authorization) {
  const std::string sig(64, 'a');
  const std::string bad[] = {
      "",
      "ACS3-HMAC-SHA256",
      "ACS3-HMAC-SHA256 ",
      "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=" + sig,
      "ACS3-HMAC-SHA1 Credential=AK1,SignedHeaders=host,Signature=" + sig,
      "ACS3-HMAC-SHA256Credential=AK1,SignedHeaders=host,Signature=" + sig,
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=host",
      "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=" + sig,
      "ACS3-HMAC-SHA256 Credential=A K,SignedHeaders=host,Signature=" + sig,
      "ACS3-HMAC-SHA256 Credential=" + std::string(129, 'A') +
          ",SignedHeaders=host,Signature=" + sig,
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=,Signature=" + sig,
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=host;;x,Signature=" + sig,
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=host;HOST,Signature=" + sig,
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=ho st,Signature=" + sig,
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=host,Signature=" + sig.substr(1),
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=host,Signature=" + sig + "0",
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=host,Signature=" + std::string(64, 'g'),
      "ACS3-HMAC-SHA256 Credential=AK1,Credential=AK2,SignedHeaders=host,Signature=" + sig,
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=host,Signature=" + sig + ",Extra=1",
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=host,Signature",
      "ACS3-HMAC-SHA256 Credential=AK1,SignedHeaders=host,Signature=" + sig +
          std::string(9000, ' '),
  };
  for (const std::string& h : bad) {
    auto r = ParseAcs3Authorization(h);
    EXPECT_FALSE(r) << h.substr(0, 120);
    if (!r) {
      EXPECT_EQ(r.error().message().find(sig), std::string::npos) << "echoes the header";
    }
  }
}

TEST(RpcSignatureTest, ParsesTimestampsStrictly) {
  auto t = ParseAcsTimestamp("2016-02-23T12:46:24Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count(),
            1456231584);
  EXPECT_EQ(FormatAcsTimestamp(*t), "2016-02-23T12:46:24Z");
  EXPECT_TRUE(ParseAcsTimestamp("2024-02-29T23:59:59Z"));
  EXPECT_TRUE(ParseAcsTimestamp("1970-01-01T00:00:00Z"));
  for (const char* bad :
       {"", "2016-02-23T12:46:24", "2016-02-23 12:46:24Z", "2016-02-23T12:46:24.123Z",
        "20160223T124624Z", "2016-2-23T12:46:24Z", "2016-02-23T24:00:00Z", "2016-02-23T12:60:00Z",
        "2016-02-23T12:46:60Z", "2023-02-29T00:00:00Z", "2016-13-01T00:00:00Z",
        "2016-00-01T00:00:00Z", "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z",
        "+016-02-23T12:46:24Z", "2016-02-23T12:46:2 Z", "2016-02-23t12:46:24z"}) {
    EXPECT_FALSE(ParseAcsTimestamp(bad)) << bad;
  }
}

}  // namespace
}  // namespace portatlas::api::aliyun
