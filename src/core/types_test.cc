#include "core/types.h"

#include <gtest/gtest.h>

namespace portatlas {
namespace {

TEST(SockTypeTest, NamesRoundTrip) {
  for (SockType t : {SockType::kTcp, SockType::kTcp6, SockType::kUdp, SockType::kUdp6}) {
    EXPECT_EQ(ParseSockType(SockTypeName(t)), t);
  }
  EXPECT_FALSE(ParseSockType("tcp").has_value());
  EXPECT_FALSE(ParseSockType("SCTP").has_value());
  EXPECT_FALSE(ParseSockType("").has_value());
}

TEST(SockTypeTest, FamilyDecidesSuffix) {
  EXPECT_EQ(MakeSockType(Proto::kTcp, Family::kIpv6), SockType::kTcp6);
  EXPECT_EQ(MakeSockType(Proto::kUdp, Family::kIpv4), SockType::kUdp);
  EXPECT_EQ(SockTypeProto(SockType::kUdp6), Proto::kUdp);
}

TEST(IpAddrTest, ParsesAndPrints) {
  auto v4 = ParseIpAddr("127.0.0.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family, Family::kIpv4);
  EXPECT_EQ(v4->ToString(), "127.0.0.1");
  EXPECT_TRUE(v4->IsLoopback());
  auto mapped = ParseIpAddr("::ffff:127.0.0.5");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->family, Family::kIpv6);
  EXPECT_EQ(mapped->ToString(), "::ffff:127.0.0.5");
  EXPECT_TRUE(mapped->IsLoopback());
  auto any6 = ParseIpAddr("::");
  ASSERT_TRUE(any6);
  EXPECT_TRUE(any6->IsUnspecified());
  EXPECT_FALSE(any6->IsLoopback());
}

TEST(IpAddrTest, RejectsGarbage) {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", ":::", "[::1]", "::1%lo", "fe80::1::2", "abc"}) {
    EXPECT_FALSE(ParseIpAddr(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace portatlas
