#include "agent/identity.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace portatlas::agent {
namespace {

constexpr char kId[] = "0123456789abcdef0123456789abcdef";

TEST(MachineIdTest, AcceptsIdWithSurroundingWhitespace) {
  for (const char* text :
       {"0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef\n",
        "  0123456789abcdef0123456789abcdef\r\n", "\t0123456789ABCDEF0123456789ABCDEF\n"}) {
    auto id = ParseMachineId(text);
    ASSERT_TRUE(id.has_value()) << text << ": " << id.error().ToString();
    EXPECT_EQ(*id, kId);
  }
}

TEST(MachineIdTest, RefusesEmptyAndGarbage) {
  const std::vector<std::string> bad = {
      "",
      "\n",
      "   \t\n",
      "uninitialized\n",
      "0123456789abcdef0123456789abcde",    // 31
      "0123456789abcdef0123456789abcdef0",  // 33
      "0123456789abcdef 0123456789abcdef",
      "0123456789abcdefg123456789abcdef",
      "00000000000000000000000000000000",
      std::string("0123456789abcdef\0"
                  "123456789abcdef",
                  32),
      "0123456789abcdef0123456789abcdef\n0123456789abcdef0123456789abcdef\n",
  };
  for (const std::string& text : bad) {
    auto id = ParseMachineId(text);
    EXPECT_FALSE(id.has_value()) << "'" << text << "'";
    if (!id) {
      EXPECT_EQ(id.error().kind(), ErrorKind::kParse);
    }
  }
}

class MachineIdFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "machineid.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& content) {
    const std::string path = dir_ + "/machine-id";
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string dir_;
};

TEST_F(MachineIdFileTest, ReadsTheFile) {
  auto id = ReadMachineId(Write(std::string(kId) + "\n"));
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(*id, kId);
}

TEST_F(MachineIdFileTest, MissingFileSuggestsHostIdFlag) {
  auto id = ReadMachineId(dir_ + "/nope");
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(id.error().message().find("--host-id"), std::string::npos);
}

TEST_F(MachineIdFileTest, OversizedAndEmptyFilesAreRefusedNamingTheFile) {
  for (const std::string& content :
       {std::string(kId) + std::string(1000, ' ') + "x", std::string()}) {
    const std::string path = Write(content);
    auto id = ReadMachineId(path);
    ASSERT_FALSE(id.has_value());
    EXPECT_NE(id.error().message().find(path), std::string::npos) << id.error().message();
  }
}

TEST(HostIdTest, ValidatesOperatorIds) {
  EXPECT_TRUE(ValidateHostId("web-01").ok());
  EXPECT_TRUE(ValidateHostId(std::string(128, 'h')).ok());
  for (const std::string& bad : {std::string(), std::string(129, 'h'), std::string("a b"),
                                 std::string("a\nb"), std::string("caf\xc3\xa9")}) {
    EXPECT_FALSE(ValidateHostId(bad).ok()) << bad;
  }
}

InterfaceAddress If(const char* name, const char* addr, bool up = true, bool loopback = false) {
  return {name, up, loopback, *ParseIpAddr(addr)};
}

TEST(ChooseHostIpTest, Table) {
  struct Case {
    const char* what;
    std::vector<InterfaceAddress> addrs;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"nothing", {}, "127.0.0.1"},
      {"only loopback",
       {If("lo", "127.0.0.1", true, true), If("lo", "::1", true, true)},
       "127.0.0.1"},
      {"first physical IPv4",
       {If("lo", "127.0.0.1", true, true), If("eth0", "10.0.0.5"), If("eth1", "10.1.0.5")},
       "10.0.0.5"},
      {"down interface skipped",
       {If("eth0", "10.0.0.5", false), If("eth1", "10.1.0.5")},
       "10.1.0.5"},
      {"docker bridge after the physical NIC",
       {If("docker0", "172.17.0.1"), If("br-1a2b", "172.18.0.1"), If("ens3", "192.168.1.9")},
       "192.168.1.9"},
      {"virtual IPv4 beats IPv6",
       {If("docker0", "172.17.0.1"), If("eth0", "2001:db8::5")},
       "172.17.0.1"},
      {"global IPv6 when no IPv4",
       {If("eth0", "fe80::1"), If("eth0", "fd00::7"), If("eth0", "2001:db8::5")},
       "2001:db8::5"},
      {"unique-local IPv6 before IPv4 link-local",
       {If("eth0", "169.254.3.4"), If("eth0", "fd00::7")},
       "fd00::7"},
      {"IPv4 link-local as a last resort",
       {If("eth0", "169.254.3.4"), If("eth0", "fe80::1")},
       "169.254.3.4"},
      {"unspecified and multicast skipped",
       {If("eth0", "0.0.0.0"), If("eth0", "224.0.0.1"), If("eth0", "ff02::1")},
       "127.0.0.1"},
      {"loopback address on a non-loopback interface", {If("dummy0", "127.0.0.2")}, "127.0.0.1"},
  };
  for (const Case& c : cases) EXPECT_EQ(ChooseHostIp(c.addrs), c.want) << c.what;
}

TEST(ChooseHostIpTest, ThisHostHasAnAnswer) {
  EXPECT_TRUE(ParseIpAddr(ChooseHostIp(LocalInterfaceAddresses())).has_value());
  EXPECT_FALSE(LocalHostName().empty());
}

}  // namespace
}  // namespace portatlas::agent
