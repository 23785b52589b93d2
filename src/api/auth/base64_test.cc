#include "api/auth/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace portatlas::api::auth {
namespace {

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, UrlSafeUsesDashUnderscoreAndNoPadding) {
  EXPECT_EQ(Base64UrlEncodeNoPad("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlEncodeNoPad("f"), "Zg");
  EXPECT_EQ(Base64UrlEncodeNoPad("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
}

TEST(Base64Test, DecodeInvertsEncodeForEveryByteAndLength) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    Result<std::string> back = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(back.has_value()) << i << " " << back.error().ToString();
    EXPECT_EQ(*back, bytes);
    bytes.push_back(static_cast<char>(i * 7 + 3));
  }
}

class Base64BadInputTest : public testing::TestWithParam<std::string> {};

TEST_P(Base64BadInputTest, IsAParseError) {
  Result<std::string> r = Base64Decode(GetParam());
  ASSERT_FALSE(r.has_value()) << *r;
  EXPECT_EQ(r.error().kind(), ErrorKind::kParse);
}

INSTANTIATE_TEST_SUITE_P(Table, Base64BadInputTest,
                         testing::Values("Z", "Zg", "Zg=", "Zm9vY", "Z===", "====", "=Zg=",
                                         "Zh==",      // non-zero unused bits
                                         "Zm9=",      // non-zero unused bits
                                         "Zg==Zg==",  // padding in the middle
                                         "Zm 9v", "Zm9v\n", " Zm9v", "-_8=", "Zm9v\xff\xff\xff\xff",
                                         std::string("Zm\0v", 4)));

}  // namespace
}  // namespace portatlas::api::auth
