#include "flow/packet_parse.h"

#include <gtest/gtest.h>

#include "flow/test_packets.h"

namespace portatlas::flow {
namespace {

TEST(PacketParseTest, ReadsTcpOverIpv4BehindAVlanTag) {
  auto frame = EthernetFrame({"198.19.0.1", "198.18.0.2", 40000, 443, 6, 0x18, "hello"}, true);
  auto p = ParsePacket(kLinkEthernet, frame);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->src.ToString(), "198.19.0.1");
  EXPECT_EQ(p->dst_port, 443);
  EXPECT_EQ(p->tcp_flags, 0x18);
  EXPECT_EQ(p->ip_bytes, 20u + 20u + 5u);
  EXPECT_EQ(p->payload_bytes, 5u);
  EXPECT_EQ(p->l3.size(), 45u);
}

TEST(PacketParseTest, ReadsUdpOverIpv6AndRawIp) {
  auto frame = EthernetFrame({"2001:2::1", "2001:2::53", 5353, 53, 17, 0, "query"});
  auto p = ParsePacket(kLinkEthernet, frame);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->src.family, Family::kIpv6);
  EXPECT_EQ(p->dst_port, 53);
  EXPECT_EQ(p->payload_bytes, 5u);
  EXPECT_EQ(p->ip_bytes, 40u + 8u + 5u);
  auto raw = ParsePacket(kLinkRaw, std::span<const uint8_t>(frame).subspan(14));
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->dst_port, 53);
}

TEST(PacketParseTest, SkipsAnIpv6ExtensionHeader) {
  auto frame = EthernetFrame({"2001:2::1", "2001:2::53", 1, 2, 17, 0, "x"});
  // Insert a destination-options header (8 bytes) between the IPv6 header and UDP.
  std::vector<uint8_t> f(frame.begin(), frame.begin() + 14 + 40);
  f[14 + 6] = 60;
  f[14 + 5] = static_cast<uint8_t>(f[14 + 5] + 8);
  f.insert(f.end(), {17, 0, 1, 4, 0, 0, 0, 0});
  f.insert(f.end(), frame.begin() + 14 + 40, frame.end());
  auto p = ParsePacket(kLinkEthernet, f);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->ip_proto, 17);
  EXPECT_EQ(p->src_port, 1);
}

// Frames that must be refused, each with why.
TEST(PacketParseTest, RefusesWhatIsNotAWholeIpPacket) {
  const auto good = EthernetFrame({"198.19.0.1", "198.18.0.2", 1, 2, 6, 0x02, ""});
  struct Case {
    const char* what;
    int link;
    std::vector<uint8_t> frame;
  };
  std::vector<Case> cases = {
      {"empty", kLinkEthernet, {}},
      {"only a MAC header", kLinkEthernet, {good.begin(), good.begin() + 14}},
      {"ARP", kLinkEthernet, good},
      {"IP header cut", kLinkEthernet, {good.begin(), good.begin() + 30}},
      {"TCP header cut", kLinkEthernet, {good.begin(), good.begin() + 14 + 20 + 10}},
      {"a later fragment", kLinkEthernet, good},
      {"header length below 20", kLinkEthernet, good},
      {"total length below the header", kLinkEthernet, good},
      {"unknown link type", 999, good},
      {"cooked header cut", kLinkLinuxSll, {good.begin(), good.begin() + 10}},
  };
  cases[2].frame[12] = 0x08;
  cases[2].frame[13] = 0x06;
  cases[5].frame[14 + 6] = 0x00;
  cases[5].frame[14 + 7] = 0x10;  // fragment offset 16
  cases[6].frame[14] = 0x44;
  cases[7].frame[14 + 2] = 0;
  cases[7].frame[14 + 3] = 10;
  for (const Case& c : cases) EXPECT_FALSE(ParsePacket(c.link, c.frame)) << c.what;
}

}  // namespace
}  // namespace portatlas::flow
