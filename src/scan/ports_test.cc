#include "scan/ports.h"

#include <gtest/gtest.h>

namespace portatlas::scan {
namespace {

using V = std::vector<uint16_t>;

TEST(PortSpecTest, Forms) {
  auto p = ParsePortSpec("443,22,80-82,22");
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->any, (V{22, 80, 81, 82, 443}));
  p = ParsePortSpec("-");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->any.size(), 65535u);
  EXPECT_EQ(p->any.front(), 1);
  p = ParsePortSpec("-3,65534-");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->any, (V{1, 2, 3, 65534, 65535}));
  p = ParsePortSpec("0");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->any, (V{0}));
  p = ParsePortSpec("T:22,80,U:53,161,t:8080");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->any.empty());
  EXPECT_EQ(p->tcp, (V{22, 80, 8080}));
  EXPECT_EQ(p->udp, (V{53, 161}));
}

TEST(PortSpecTest, Errors) {
  for (const char* bad : {"", ",", "22,", "65536", "-1-5", "9-3", "x", "22x", "X:22", "T:", "1--2",
                          "99999999999999999999"}) {
    EXPECT_FALSE(ParsePortSpec(bad)) << bad;
  }
}

TEST(TopPortsTest, RanksByFrequency) {
  const char* services =
      "# comment\n"
      "http\t80/tcp\t0.484143\t# World Wide Web HTTP\n"
      "ssh\t22/tcp\t0.182286\n"
      "domain\t53/udp\t0.213496\n"
      "telnet\t23/tcp\t0.221265\n"
      "broken line\n"
      "zero\t0/tcp\t0.9\n"
      "bad\t99/tcp\tnotanumber\n";
  EXPECT_EQ(TopPorts(services, "tcp", 2), (V{23, 80}));
  EXPECT_EQ(TopPorts(services, "tcp", 10), (V{22, 23, 80}));
  EXPECT_EQ(TopPorts(services, "udp", 10), (V{53}));
  EXPECT_TRUE(TopPorts("", "tcp", 10).empty());
}

TEST(PortsTest, ServiceNamesFromNmapServices) {
  const std::string text =
      "# comment\nssh\t22/tcp\t0.18\nhttp\t80/tcp\t0.48 # web\ndomain\t53/udp\t0.21\n"
      "broken line\nhttp-alt\t80/tcp\t0.01\nbad\t70000/tcp\t0.1\n";
  const std::vector<std::string> tcp = ServiceNames(text, "tcp");
  ASSERT_EQ(tcp.size(), 65536u);
  EXPECT_EQ(tcp[22], "ssh");
  EXPECT_EQ(tcp[80], "http");  // the first line for a port wins
  EXPECT_EQ(tcp[53], "");
  EXPECT_EQ(ServiceNames(text, "udp")[53], "domain");
  EXPECT_EQ(ServiceNames("", "tcp")[22], "");
}

}  // namespace
}  // namespace portatlas::scan
