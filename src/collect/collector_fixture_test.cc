// The whole collector over a fixture procfs with the /proc/net backend: namespaces, owners,
// containers and odd inputs together.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "collect/collector.h"
#include "collect/fixture_dir.h"

namespace portatlas::collect {
namespace {

constexpr char kTcpHeader[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n";
constexpr char kEmpty6[] = "00000000000000000000000000000000:0000";

std::string Tcp4Line(const char* local, const char* state, int inode) {
  return fmt::format("   0: {} 00000000:0000 {} 00000000:00000000 00:00000000 00000000 0 0 {} 1\n",
                     local, state, inode);
}
std::string Tcp6Line(const char* local, const char* state, int inode) {
  return fmt::format("   0: {} {} {} 00000000:00000000 00:00000000 00000000 0 0 {} 1\n", local,
                     kEmpty6, state, inode);
}

class CollectorFixtureTest : public testing::Test {
 protected:
  void SetUp() override {
    // Root namespace 100: sshd (pid 1, 2 sharing) on 0.0.0.0:22 and [::]:22, a UDP socket with
    // no visible owner, and a line of garbage.
    d_.Symlink("1/ns/net", "net:[100]");
    d_.Symlink("2/ns/net", "net:[100]");
    d_.WriteFile("1/net/tcp", std::string(kTcpHeader) + Tcp4Line("00000000:0016", "0A", 501) +
                                  Tcp4Line("0100007F:0016", "01", 502) + "   9: garbage\n");
    d_.WriteFile("1/net/tcp6", std::string(kTcpHeader) +
                                   Tcp6Line("00000000000000000000000000000000:0016", "0A", 503));
    d_.WriteFile("1/net/udp", std::string(kTcpHeader) + Tcp4Line("0100007F:0035", "07", 504));
    d_.WriteFile("1/net/udp6", kTcpHeader);
    d_.Symlink("1/fd/3", "socket:[501]");
    d_.Symlink("1/fd/4", "socket:[503]");
    d_.Symlink("2/fd/3", "socket:[501]");
    d_.Symlink("1/exe", "/usr/sbin/sshd");
    d_.WriteFile("1/comm", "sshd\n");
    d_.WriteFile("1/cgroup", "0::/system.slice/ssh.service\n");
    // Namespace 200: a containerised redis (pid 30) whose binary was replaced; pid 31 is in
    // the same namespace but its /proc entries are gone (it exited mid-scan).
    d_.Symlink("30/ns/net", "net:[200]");
    d_.Symlink("31/ns/net", "net:[200]");
    d_.WriteFile("30/net/tcp", std::string(kTcpHeader) + Tcp4Line("00000000:18EB", "0A", 601));
    d_.WriteFile("30/net/tcp6", kTcpHeader);
    d_.WriteFile("30/net/udp", kTcpHeader);
    d_.WriteFile("30/net/udp6", kTcpHeader);
    d_.Symlink("30/fd/6", "socket:[601]");
    d_.Symlink("30/exe", "/usr/bin/redis-server (deleted)");
    d_.WriteFile("30/comm", "redis-server\n");
    d_.WriteFile("30/cgroup", "0::/system.slice/docker-" + std::string(64, 'c') + ".scope\n");
  }

  Snapshot Collect() {
    auto proc = ProcFs::Open(d_.path());
    EXPECT_TRUE(proc);
    CollectorOptions opts;
    opts.backend = Backend::kProc;
    opts.netns_dirs = {};
    Collector c(*proc, opts);
    auto snap = c.Collect();
    EXPECT_TRUE(snap) << snap.error().ToString();
    return std::move(*snap);
  }

  const ListeningSocket* Find(const Snapshot& s, SockType t, uint16_t port, uint64_t netns) {
    auto it = std::find_if(s.sockets.begin(), s.sockets.end(), [&](const ListeningSocket& x) {
      return x.type == t && x.port == port && x.netns == netns;
    });
    return it == s.sockets.end() ? nullptr : &*it;
  }

  FixtureDir d_;
};

TEST_F(CollectorFixtureTest, ListsListenersOfEveryNamespaceWithOwners) {
  Snapshot s = Collect();
  ASSERT_EQ(s.sockets.size(), 4u);  // the established connection is not a listener
  const ListeningSocket* ssh = Find(s, SockType::kTcp, 22, 100);
  ASSERT_NE(ssh, nullptr);
  EXPECT_EQ(ssh->laddr.ToString(), "0.0.0.0");
  EXPECT_EQ(ssh->pid, 1);
  EXPECT_EQ(ssh->sharers, 2);
  EXPECT_EQ(ssh->path, "/usr/sbin/sshd");
  EXPECT_EQ(ssh->comm, "sshd");
  EXPECT_EQ(ssh->container_id, "");
  const ListeningSocket* ssh6 = Find(s, SockType::kTcp6, 22, 100);
  ASSERT_NE(ssh6, nullptr);
  EXPECT_EQ(ssh6->laddr.ToString(), "::");
  EXPECT_EQ(ssh6->sharers, 1);
}

TEST_F(CollectorFixtureTest, UnownedSocketIsListedWithPidZero) {
  Snapshot s = Collect();
  const ListeningSocket* dns = Find(s, SockType::kUdp, 53, 100);
  ASSERT_NE(dns, nullptr);
  EXPECT_EQ(dns->pid, 0);
  EXPECT_EQ(dns->sharers, 0);
  EXPECT_EQ(dns->path, "");
}

TEST_F(CollectorFixtureTest, ContainerAndDeletedExecutable) {
  Snapshot s = Collect();
  const ListeningSocket* redis = Find(s, SockType::kTcp, 6379, 200);
  ASSERT_NE(redis, nullptr);
  EXPECT_EQ(redis->pid, 30);
  EXPECT_EQ(redis->path, "/usr/bin/redis-server");
  EXPECT_TRUE(redis->exe_deleted);
  EXPECT_EQ(redis->container_id, std::string(64, 'c'));
  EXPECT_EQ(redis->container_runtime, "docker");
}

TEST_F(CollectorFixtureTest, BadLinesBecomeWarnings) {
  Snapshot s = Collect();
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("skipped 1 unparsable lines"), std::string::npos) << s.warnings[0];
}

TEST_F(CollectorFixtureTest, UnreadableNamespaceIsAWarningNotAFailure) {
  d_.Symlink("70/ns/net", "net:[300]");  // a namespace whose only process has no net dir
  Snapshot s = Collect();
  EXPECT_EQ(s.sockets.size(), 4u);
  const bool warned = std::any_of(s.warnings.begin(), s.warnings.end(), [](const std::string& w) {
    return w.find("netns 300") != std::string::npos;
  });
  EXPECT_TRUE(warned);
}

TEST_F(CollectorFixtureTest, FallsBackToNextPidWhenFirstVanished) {
  d_.Symlink("25/ns/net", "net:[200]");  // lowest pid in ns 200, but no /proc/25/net
  Snapshot s = Collect();
  EXPECT_NE(Find(s, SockType::kTcp, 6379, 200), nullptr);
}

TEST_F(CollectorFixtureTest, OnlySelectedNamespacesAreListed) {
  auto proc = ProcFs::Open(d_.path());
  ASSERT_TRUE(proc);
  CollectorOptions opts;
  opts.backend = Backend::kProc;
  opts.netns_dirs = {};
  opts.only_netns = {"200"};
  auto snap = Collector(*proc, opts).Collect();
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->sockets.size(), 1u);
  EXPECT_EQ(snap->sockets[0].netns, 200u);
  opts.only_netns = {"no-such-namespace"};
  snap = Collector(*proc, opts).Collect();
  ASSERT_TRUE(snap);
  EXPECT_TRUE(snap->sockets.empty());
}

TEST(CollectorTest, MissingProcRootFails) {
  FixtureDir d;
  auto proc = ProcFs::Open(d.path());
  ASSERT_TRUE(proc);
  CollectorOptions opts;
  opts.backend = Backend::kProc;
  opts.netns_dirs = {};
  Collector c(*proc, opts);
  auto snap = c.Collect();
  ASSERT_TRUE(snap);  // an empty procfs is an empty host, not an error
  EXPECT_TRUE(snap->sockets.empty());
}

}  // namespace
}  // namespace portatlas::collect
