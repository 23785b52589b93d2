#include "core/addr_set.h"

#include <gtest/gtest.h>

namespace portatlas {
namespace {

AddrRange Range(std::string_view spec) {
  auto r = ParseAddrRange(spec);
  EXPECT_TRUE(r && *r) << spec;
  return r && *r ? **r : AddrRange{};
}

TEST(AddrSetTest, LiteralFormsParseAndNamesAreNotLiterals) {
  EXPECT_EQ(RangeToString(Range("198.18.0.0/30")), "198.18.0.0-198.18.0.3");
  EXPECT_EQ(RangeToString(Range("198.18.0.1-9")), "198.18.0.1-198.18.0.9");
  EXPECT_EQ(RangeToString(Range("2001:2::/127")), "2001:2::-2001:2::1");
  auto name = ParseAddrRange("web-1.example");
  ASSERT_TRUE(name);
  EXPECT_FALSE(name->has_value());
  EXPECT_FALSE(ParseAddrRange("198.18.0.0/33"));
  EXPECT_FALSE(ParseAddrRange("198.18.0.9-1"));
  EXPECT_FALSE(ParseAddrRange("198.18.0.1-2001:2::1"));
}

TEST(AddrSetTest, ContainsSearchesEveryRangeOfTheRightFamily) {
  AddrSet s;
  for (const char* spec : {"10.0.0.0/8", "198.18.0.0/15", "192.168.0.0/16", "fc00::/7", "::1"}) {
    s.Add(Range(spec));
  }
  for (const char* in : {"10.1.2.3", "198.19.255.255", "192.168.1.1", "fd00::5", "::1"}) {
    EXPECT_TRUE(s.Contains(*ParseIpAddr(in))) << in;
  }
  for (const char* out : {"11.0.0.0", "198.20.0.0", "8.8.8.8", "::2", "2001:2::1", "0.0.0.1"}) {
    EXPECT_FALSE(s.Contains(*ParseIpAddr(out))) << out;
  }
}

}  // namespace
}  // namespace portatlas
