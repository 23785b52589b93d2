#include "api/auth/uri_encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace portatlas::api::auth {
namespace {

TEST(UriEncodingTest, DecodesEscapesOfEitherCase) {
  EXPECT_EQ(*PercentDecode("a%20b", false), "a b");
  EXPECT_EQ(*PercentDecode("%41%4a%4A%7e", false), "AJJ~");
  EXPECT_EQ(*PercentDecode("%C3%A9", false), "\xc3\xa9");
  EXPECT_EQ(*PercentDecode("%00", false), std::string(1, '\0'));
  EXPECT_EQ(*PercentDecode("", false), "");
  EXPECT_EQ(*PercentDecode("!*'()", false), "!*'()");
}

TEST(UriEncodingTest, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(*PercentDecode("a+b%2B", true), "a b+");
  EXPECT_EQ(*PercentDecode("a+b%2B", false), "a+b+");
}

class BadPercentTest : public testing::TestWithParam<const char*> {};

TEST_P(BadPercentTest, IsInvalidArgument) {
  Result<std::string> r = PercentDecode(GetParam(), true);
  ASSERT_FALSE(r.has_value()) << *r;
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Table, BadPercentTest,
                         testing::Values("%", "%4", "a%", "a%2", "%G0", "%0G", "%%41", "%-1", "%+1",
                                         "% 1", "abc%zz", "%\xff\xff"));

TEST(UriEncodingTest, EncodesAllButUnreservedWithUpperCaseHex) {
  EXPECT_EQ(Rfc3986Encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(Rfc3986Encode("a b!*'()~\xc3\xa9/+=&"), "a%20b%21%2A%27%28%29~%C3%A9%2F%2B%3D%26");
  EXPECT_EQ(Rfc3986Encode(std::string(1, '\0')), "%00");
  EXPECT_EQ(Rfc3986Encode("\xff"), "%FF");
}

TEST(UriEncodingTest, EncodeThenDecodeRoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(*PercentDecode(Rfc3986Encode(all), true), all);
}

}  // namespace
}  // namespace portatlas::api::auth
