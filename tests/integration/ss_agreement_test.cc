// `portatlas ports --json` agrees with `ss -tulpn` in the root network namespace: the same set
// of (type, laddr, port, pid). Other programs open and close sockets meanwhile, so a
// comparison counts only when two ss snapshots taken around the collector run are equal.
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "host_fixtures.h"
#include "listener_helpers.h"
#include "port_records.h"
#include "ss_records.h"

namespace portatlas::itest {
namespace {

constexpr int kAttempts = 5;

std::set<SocketKey> Minus(const std::set<SocketKey>& a, const std::set<SocketKey>& b) {
  std::set<SocketKey> rest;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(rest, rest.end()));
  return rest;
}

std::string List(const std::set<SocketKey>& keys) {
  std::string text;
  for (const SocketKey& key : keys) text += "\n  " + Describe(key);
  return text.empty() ? " (none)" : text;
}

TEST(SsParserTest, ReadsAddressFormsAndLowestPid) {
  const std::string v4 =
      "tcp LISTEN 0 4096 127.0.0.53%lo:53 0.0.0.0:* users:((\"systemd-resolve\",pid=71,fd=14))\n"
      "udp UNCONN 0 0 0.0.0.0:68 0.0.0.0:*\n"
      "tcp LISTEN 0 128 *:22 *:* users:((\"sshd\",pid=900,fd=3),(\"sshd\",pid=12,fd=3))\n";
  std::set<SocketKey> keys;
  ASSERT_TRUE(ParseSsOutput(v4, false, &keys));
  EXPECT_EQ(keys, (std::set<SocketKey>{{"TCP", "127.0.0.53", 53, 71},
                                       {"UDP", "0.0.0.0", 68, 0},
                                       {"TCP", "0.0.0.0", 22, 12}}));
}

TEST(SsParserTest, ReadsIpv6BracketsScopeAndDualStackStar) {
  const std::string v6 =
      "tcp LISTEN 0 511 *:80 *:* users:((\"nginx: worker\",pid=5,fd=6))\n"
      "tcp LISTEN 0 511 [::]:443 [::]:* users:((\"nginx\",pid=5,fd=7))\n"
      "udp UNCONN 0 0 [fe80::1]%eth0:546 [::]:*\n"
      "tcp LISTEN 0 16 [::ffff:127.0.0.1]:8080 *:* users:((\"a\",pid=44,fd=3))\n";
  std::set<SocketKey> keys;
  ASSERT_TRUE(ParseSsOutput(v6, true, &keys));
  EXPECT_EQ(keys, (std::set<SocketKey>{{"TCP6", "::", 80, 5},
                                       {"TCP6", "::", 443, 5},
                                       {"UDP6", "fe80::1", 546, 0},
                                       {"TCP6", "::ffff:127.0.0.1", 8080, 44}}));
}

TEST(SsParserTest, AcceptsEmptyOutput) {
  std::set<SocketKey> keys;
  EXPECT_TRUE(ParseSsOutput("", false, &keys));
  EXPECT_TRUE(keys.empty());
}

TEST(SsParserTest, RejectsTruncatedAndCorruptedLines) {
  std::set<SocketKey> keys;
  EXPECT_FALSE(ParseSsOutput("tcp LISTEN 0 4096 127.0.0.1:80\n", false, &keys));
  EXPECT_FALSE(ParseSsOutput("tcp LISTEN 0 4096 127.0.0.1 0.0.0.0:*\n", false, &keys));
  EXPECT_FALSE(ParseSsOutput("tcp LISTEN 0 4096 127.0.0.1:99999 0.0.0.0:*\n", false, &keys));
  EXPECT_FALSE(ParseSsOutput("raw UNCONN 0 0 0.0.0.0:1 0.0.0.0:*\n", false, &keys));
}

class SsAgreementTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Listeners of the test's own, so that the comparison covers known sockets on any host.
  void SetUp() override {
    PORTATLAS_REQUIRE_ROOT();
    using T = Transport;
    for (const ListenerSpec& spec :
         std::vector<ListenerSpec>{{T::kTcp, "127.0.0.1", false, "", "", false},
                                   {T::kTcp, "::", true, "", "", false},
                                   {T::kUdp, "::", false, "", "", false},
                                   {T::kUdp, "127.0.0.1", false, "", "", false},
                                   {T::kTcp, "::ffff:127.0.0.1", false, "", "", false},
                                   {T::kTcp, "0.0.0.0", false, "", "", true}}) {
      std::unique_ptr<Listener> listener;
      ASSERT_TRUE(Listener::Start(spec, &listener));
      listeners_.push_back(std::move(listener));
    }
  }

  std::vector<std::unique_ptr<Listener>> listeners_;
};

TEST_P(SsAgreementTest, SsShowsTheTestListeners) {
  std::set<SocketKey> ss_keys;
  ASSERT_TRUE(RunSs(&ss_keys));
  for (const auto& l : listeners_) {
    SocketKey want{l->type(), l->spec().address, l->port(), l->lowest_pid()};
    EXPECT_EQ(ss_keys.count(want), 1u) << "ss lacks " << Describe(want);
  }
}

TEST_P(SsAgreementTest, ReportsTheSameSocketsAsSsInRootNetns) {
  const uint64_t root_netns = NetnsInode("/proc/self/ns/net");
  std::set<SocketKey> only_in_ss;
  std::set<SocketKey> only_in_portatlas;
  int stable_attempts = 0;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::set<SocketKey> before;
    std::set<SocketKey> after;
    std::vector<PortRecord> records;
    ASSERT_TRUE(RunSs(&before));
    ASSERT_TRUE(RunCollector(GetParam(), &records));
    ASSERT_TRUE(RunSs(&after));
    if (before != after) continue;  // the host changed under us; try again
    ++stable_attempts;
    const std::set<SocketKey> collected = KeysInNetns(records, root_netns);
    if (collected == before) return;
    only_in_ss = Minus(before, collected);
    only_in_portatlas = Minus(collected, before);
  }
  ASSERT_GT(stable_attempts, 0) << "ss never saw the same sockets twice in a row in " << kAttempts
                                << " attempts";
  ADD_FAILURE() << "portatlas --backend " << GetParam() << " and ss disagree (last of "
                << stable_attempts << " stable attempts)\nonly in ss:" << List(only_in_ss)
                << "\nonly in portatlas:" << List(only_in_portatlas);
}

INSTANTIATE_TEST_SUITE_P(Backends, SsAgreementTest, ::testing::Values("netlink", "proc"),
                         [](const ::testing::TestParamInfo<std::string>& backend) {
                           return backend.param;
                         });

}  // namespace
}  // namespace portatlas::itest
