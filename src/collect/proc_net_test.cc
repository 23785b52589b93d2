#include "collect/proc_net.h"

#include <gtest/gtest.h>

#include <string>

namespace portatlas::collect {
namespace {

constexpr char kHeader[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n";

TEST(ProcNetTest, ParsesIpv4Listener) {
  auto e = ParseProcNetLine(
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        "
      "0 45678 1 0000000000000000 100 0 0 10 0",
      Proto::kTcp, Family::kIpv4);
  ASSERT_TRUE(e) << e.error().ToString();
  EXPECT_EQ(e->addr.ToString(), "127.0.0.1");
  EXPECT_EQ(e->port, 8080);
  EXPECT_EQ(e->state, kTcpListen);
  EXPECT_EQ(e->uid, 1000u);
  EXPECT_EQ(e->inode, 45678u);
  EXPECT_TRUE(IsListening(*e));
}

TEST(ProcNetTest, ParsesIpv6AndMappedAddresses) {
  // ::1 port 22: the last word holds 0x01000000 in host (little-endian) order.
  auto loop = ParseProcNetLine(
      "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0",
      Proto::kTcp, Family::kIpv6);
  ASSERT_TRUE(loop) << loop.error().ToString();
  EXPECT_EQ(loop->addr.ToString(), "::1");
  EXPECT_EQ(loop->port, 22);
  // ::ffff:127.0.0.1 port 53 UDP, unconnected (07).
  auto mapped = ParseProcNetLine(
      "  12: 0000000000000000FFFF00000100007F:0035 00000000000000000000000000000000:0000 07 "
      "00000000:00000000 00:00000000 00000000   101        0 222 2 0000000000000000 0",
      Proto::kUdp, Family::kIpv6);
  ASSERT_TRUE(mapped) << mapped.error().ToString();
  EXPECT_EQ(mapped->addr.ToString(), "::ffff:127.0.0.1");
  EXPECT_TRUE(mapped->addr.IsLoopback());
  EXPECT_TRUE(IsListening(*mapped));
}

TEST(ProcNetTest, HexEdges) {
  auto e = ParseProcNetLine(
      "   0: FFFFFFFF:FFFF 00000000:0000 0a 00000000:00000000 00:00000000 00000000 4294967295 0 "
      "18446744073709551615",
      Proto::kTcp, Family::kIpv4);
  ASSERT_TRUE(e) << e.error().ToString();
  EXPECT_EQ(e->addr.ToString(), "255.255.255.255");
  EXPECT_EQ(e->port, 65535);
  EXPECT_EQ(e->uid, 4294967295u);
  EXPECT_EQ(e->inode, 18446744073709551615u);
}

struct BadLine {
  const char* name;
  const char* line;
  Family family;
};

class ProcNetBadLineTest : public testing::TestWithParam<BadLine> {};

TEST_P(ProcNetBadLineTest, IsRejected) {
  auto e = ParseProcNetLine(GetParam().line, Proto::kTcp, GetParam().family);
  EXPECT_FALSE(e.has_value());
  EXPECT_EQ(e.error().kind(), ErrorKind::kParse);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ProcNetBadLineTest,
    testing::Values(
        BadLine{"empty", "", Family::kIpv4}, BadLine{"spaces", "     ", Family::kIpv4},
        BadLine{"truncated_after_state", "   0: 0100007F:1F90 00000000:0000 0A", Family::kIpv4},
        BadLine{"truncated_before_inode",
                "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0",
                Family::kIpv4},
        BadLine{"cut_address",
                "   0: 0100007:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
                Family::kIpv4},
        BadLine{"v4_address_in_v6_table",
                "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
                Family::kIpv6},
        BadLine{"non_hex_address",
                "   0: 0100007G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
                Family::kIpv4},
        BadLine{"port_too_long",
                "   0: 0100007F:11F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 "
                "1",
                Family::kIpv4},
        BadLine{"no_slot_colon",
                "   0 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
                Family::kIpv4},
        BadLine{"state_three_digits",
                "   0: 0100007F:1F90 00000000:0000 0AA 00000000:00000000 00:00000000 00000000 0 0 "
                "1",
                Family::kIpv4},
        BadLine{"negative_uid",
                "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 -1 0 "
                "1",
                Family::kIpv4},
        BadLine{"inode_overflow",
                "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 "
                "99999999999999999999999",
                Family::kIpv4},
        BadLine{"binary_garbage", "\x01\x02\xff\xfe 0: \x7f", Family::kIpv4}),
    [](const testing::TestParamInfo<BadLine>& p) { return std::string(p.param.name); });

TEST(ProcNetTest, FileSkipsHeaderAndBadLinesAndFilters) {
  std::string content = kHeader;
  content +=
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n";
  content += "   1: garbage\n";
  content +=  // an established connection: not a listener
      "   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000 0 0 2 1\n";
  content += "\n";
  content += "   3: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 3";
  ProcNetTable t = ParseProcNet(content, Proto::kTcp, Family::kIpv4, /*listening_only=*/true);
  ASSERT_EQ(t.entries.size(), 2u);
  EXPECT_EQ(t.entries[0].inode, 1u);
  EXPECT_EQ(t.entries[1].inode, 3u);
  EXPECT_EQ(t.bad_lines, 1);
  EXPECT_EQ(t.first_error.substr(0, 7), "line 3:");
  ProcNetTable all = ParseProcNet(content, Proto::kTcp, Family::kIpv4, false);
  EXPECT_EQ(all.entries.size(), 3u);
}

TEST(ProcNetTest, EmptyAndHeaderOnlyFiles) {
  EXPECT_TRUE(ParseProcNet("", Proto::kUdp, Family::kIpv4, true).entries.empty());
  ProcNetTable t = ParseProcNet(kHeader, Proto::kUdp, Family::kIpv4, true);
  EXPECT_TRUE(t.entries.empty());
  EXPECT_EQ(t.bad_lines, 0);
}

TEST(ProcNetTest, FileTruncatedMidLine) {
  std::string content = kHeader;
  content +=
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7 1\n"
      "   1: 0100007F:1F";
  ProcNetTable t = ParseProcNet(content, Proto::kTcp, Family::kIpv4, true);
  ASSERT_EQ(t.entries.size(), 1u);
  EXPECT_EQ(t.bad_lines, 1);
}

TEST(ProcNetTest, OversizedLineIsOneBadLine) {
  std::string content = kHeader;
  content += "   0: " + std::string(1 << 20, 'A') + "\n";
  ProcNetTable t = ParseProcNet(content, Proto::kTcp, Family::kIpv4, true);
  EXPECT_TRUE(t.entries.empty());
  EXPECT_EQ(t.bad_lines, 1);
}

}  // namespace
}  // namespace portatlas::collect
