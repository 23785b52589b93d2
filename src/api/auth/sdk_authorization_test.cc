// ParseSdkAuthorization and the X-Sdk-Date format.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "api/auth/sdk_signer.h"

namespace portatlas::api::auth {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

const std::string kSig = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe";
const std::string kHeader =
    "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, "
    "SignedHeaders=content-type;host;x-sdk-date, Signature=" +
    kSig;

TEST(SdkAuthorizationTest, ParsesTheOfficialHeader) {
  Result<SdkAuthorization> a = ParseSdkAuthorization(kHeader);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->access_key, "QTWAOYTTINDUT2QVKYUC");
  EXPECT_EQ(a->signed_headers, (std::vector<std::string>{"content-type", "host", "x-sdk-date"}));
  EXPECT_EQ(a->signature, kSig);
}

class SdkAuthorizationTolerantTest : public testing::TestWithParam<std::string> {};

TEST_P(SdkAuthorizationTolerantTest, ParsesToTheSameFields) {
  Result<SdkAuthorization> a = ParseSdkAuthorization(GetParam());
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->access_key, "AK1");
  EXPECT_EQ(a->signed_headers, (std::vector<std::string>{"host", "x-sdk-date"}));
  EXPECT_EQ(a->signature, kSig);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SdkAuthorizationTolerantTest,
    testing::Values(
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=" + kSig,
        "SDK-HMAC-SHA256 Access=AK1,SignedHeaders=host;x-sdk-date,Signature=" + kSig,
        "  SDK-HMAC-SHA256   Access = AK1 ,  SignedHeaders = host ; x-sdk-date , Signature = " +
            kSig + "  ",
        "SDK-HMAC-SHA256\tAccess=AK1,\tSignedHeaders=host;x-sdk-date,\tSignature=" + kSig,
        "SDK-HMAC-SHA256 Signature=" + kSig + ", Access=AK1, SignedHeaders=host;x-sdk-date",
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=Host;X-Sdk-Date, Signature=" + kSig,
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature="
        "7BE6668032F70418FCC22ABC52071E57AFF61B84A1D2381BB430D6870F4F6EBE"));

class SdkAuthorizationBadTest : public testing::TestWithParam<std::string> {};

TEST_P(SdkAuthorizationBadTest, IsInvalidArgument) {
  Result<SdkAuthorization> a = ParseSdkAuthorization(GetParam());
  ASSERT_FALSE(a.has_value()) << GetParam();
  EXPECT_EQ(a.error().kind(), ErrorKind::kInvalidArgument);
}

const std::string kH = ", SignedHeaders=host;x-sdk-date, Signature=" + kSig;

INSTANTIATE_TEST_SUITE_P(
    Table, SdkAuthorizationBadTest,
    testing::Values(
        "", " ", "SDK-HMAC-SHA256", "SDK-HMAC-SHA256 ", "garbage", "\x01\x02\xff\xfe", "Bearer abc",
        "V11-HMAC-SHA256 Access=AK1" + kH, "SDK-HMAC-SHA1 Access=AK1" + kH,
        "sdk-hmac-sha256 Access=AK1" + kH, "SDK-HMAC-SHA256Access=AK1" + kH,
        "SDK-HMAC-SHA256X Access=AK1" + kH, "SDK-HMAC-SHA256 Access=" + kH,
        "SDK-HMAC-SHA256 Access= " + kH, "SDK-HMAC-SHA256 Access=A K" + kH,
        "SDK-HMAC-SHA256 Access=AK=1" + kH, "SDK-HMAC-SHA256 Access=\"AK1\"" + kH,
        "SDK-HMAC-SHA256 Access=" + std::string(129, 'A') + kH,
        "SDK-HMAC-SHA256 Access=AK1, Access=AK1" + kH, "SDK-HMAC-SHA256 Access=AK1, Region=x" + kH,
        "SDK-HMAC-SHA256 access=AK1" + kH, "SDK-HMAC-SHA256 Access=AK1" + kH + ",",
        "SDK-HMAC-SHA256 Access=AK1" + kH + ", ",
        "SDK-HMAC-SHA256 Access=AK1,, SignedHeaders=host, Signature=" + kSig,
        "SDK-HMAC-SHA256 Access AK1" + kH,
        "SDK-HMAC-SHA256 SignedHeaders=host;x-sdk-date, Signature=" + kSig,
        "SDK-HMAC-SHA256 Access=AK1, Signature=" + kSig,
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host",
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=, Signature=" + kSig,
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;;x-sdk-date, Signature=" + kSig,
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;, Signature=" + kSig,
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;HOST, Signature=" + kSig,
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=ho st, Signature=" + kSig,
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host:1, Signature=" + kSig,
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=" + kSig.substr(1),
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=" + kSig + "0",
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=" + kSig.substr(1) + "g",
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=",
        // oversized: 100 KB of padding around an otherwise valid header
        "SDK-HMAC-SHA256 Access=AK1" + kH + std::string(100 * 1024, ' '),
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=" + std::string(100 * 1024, 'h') +
            ", Signature=" + kSig));

TEST(SdkAuthorizationTest, EveryTruncationIsRejected) {
  for (size_t n = 0; n < kHeader.size(); ++n) {
    EXPECT_FALSE(ParseSdkAuthorization(kHeader.substr(0, n)).has_value()) << n;
  }
}

TEST(SdkAuthorizationTest, AcceptsUpToTheSizeLimit) {
  std::string header = "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=" + kSig;
  header.append(kMaxAuthorizationBytes - header.size(), ' ');
  EXPECT_TRUE(ParseSdkAuthorization(header).has_value());
  header.push_back(' ');
  EXPECT_FALSE(ParseSdkAuthorization(header).has_value());
}

TEST(SdkDateTest, ParsesTheOfficialDate) {
  Result<std::chrono::system_clock::time_point> t = ParseSdkDate("20191115T033655Z");
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_EQ(*t, sys_days(std::chrono::year(2019) / 11 / 15) + 3h + 36min + 55s);
}

TEST(SdkDateTest, FormatsAndParsesBackToTheSecond) {
  const auto t = sys_days(std::chrono::year(2020) / 2 / 29) + 23h + 59min + 59s + 999ms;
  EXPECT_EQ(FormatSdkDate(t), "20200229T235959Z");
  EXPECT_EQ(*ParseSdkDate(FormatSdkDate(t)), std::chrono::floor<std::chrono::seconds>(t));
  EXPECT_EQ(FormatSdkDate(sys_days(std::chrono::year(1970) / 1 / 1)), "19700101T000000Z");
}

TEST(SdkDateTest, AcceptsLeapDayAndRangeEnds) {
  EXPECT_TRUE(ParseSdkDate("20000229T000000Z").has_value());
  EXPECT_TRUE(ParseSdkDate("19700101T000000Z").has_value());
  EXPECT_TRUE(ParseSdkDate("21991231T235959Z").has_value());
}

class SdkDateBadTest : public testing::TestWithParam<std::string> {};

TEST_P(SdkDateBadTest, IsInvalidArgument) {
  Result<std::chrono::system_clock::time_point> t = ParseSdkDate(GetParam());
  ASSERT_FALSE(t.has_value()) << GetParam();
  EXPECT_EQ(t.error().kind(), ErrorKind::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Table, SdkDateBadTest,
                         testing::Values("", "2", "20191115T033655", "20191115T033655ZZ",
                                         " 20191115T033655Z", "20191115 033655Z",
                                         "2019-11-15T03:36:55Z", "20191115t033655Z",
                                         "20191115T033655z", "+0191115T033655Z", "2019111AT033655Z",
                                         "20191115T03365-Z", "20190001T000000Z", "20191315T000000Z",
                                         "20191100T000000Z", "20191131T000000Z", "20190229T000000Z",
                                         "21000229T000000Z", "20191115T240000Z", "20191115T236000Z",
                                         "20191115T235960Z", "19691231T235959Z", "22000101T000000Z",
                                         "99991231T235959Z", "00000101T000000Z",
                                         std::string("20191115T0336\0"
                                                     "5Z",
                                                     16),
                                         std::string(100 * 1024, '2')));

}  // namespace
}  // namespace portatlas::api::auth
