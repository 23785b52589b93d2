// `portatlas ports --json` against listeners this test owns: TCP and UDP, IPv4 and IPv6,
// loopback and wildcard, in the root network namespace and in two namespaces made with
// `ip netns add`, one listener owned by a process in a docker-looking cgroup. Each test checks
// one socket (or one absence) and runs once per collector backend.
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "host_fixtures.h"
#include "listener_helpers.h"
#include "port_records.h"

namespace portatlas::itest {
namespace {

// A socket identity that must not appear in the collector's output.
struct ClosedSocket {
  std::string type;
  std::string laddr;
  int port = 0;
  uint64_t netns = 0;
};

// Everything the tests observe. Members are destroyed in reverse order, so the listener
// children exit before their cgroup and namespaces are removed.
struct Testbed {
  uint64_t root_netns = 0;
  std::unique_ptr<NetNs> ns_a;
  std::unique_ptr<NetNs> ns_b;
  std::unique_ptr<FakeContainerCgroup> container;
  std::map<std::string, std::unique_ptr<Listener>> listeners;  // by role
  std::map<std::string, ClosedSocket> closed;                  // by role
  std::map<std::string, std::vector<PortRecord>> records;      // by backend
};

struct Role {
  const char* name;
  ListenerSpec spec;
};

::testing::AssertionResult StartAll(const std::vector<Role>& roles, Testbed& bed) {
  for (const Role& role : roles) {
    std::unique_ptr<Listener> listener;
    ::testing::AssertionResult started = Listener::Start(role.spec, &listener);
    if (!started) return ::testing::AssertionFailure() << role.name << ": " << started.message();
    bed.listeners[role.name] = std::move(listener);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult BuildTestbed(Testbed& bed) {
  DeleteStaleNamespaces();
  DeleteStaleCgroups();
  bed.root_netns = NetnsInode("/proc/self/ns/net");
  const std::string prefix = NamespacePrefix();
  ::testing::AssertionResult made = NetNs::Create(prefix + "a", &bed.ns_a);
  if (made) made = NetNs::Create(prefix + "b", &bed.ns_b);
  if (made) made = FakeContainerCgroup::Create(&bed.container);
  if (!made) return made;
  const std::string a = bed.ns_a->path();
  const std::string b = bed.ns_b->path();
  using T = Transport;
  const std::vector<Role> roles = {
      {"tcp4_loopback", {T::kTcp, "127.0.0.1", false, "", "", false}},
      {"tcp4_any", {T::kTcp, "0.0.0.0", false, "", "", false}},
      {"tcp6_loopback", {T::kTcp, "::1", true, "", "", false}},
      {"tcp6_any_v6only", {T::kTcp, "::", true, "", "", false}},
      {"udp4_loopback", {T::kUdp, "127.0.0.1", false, "", "", false}},
      {"udp6_any_dual", {T::kUdp, "::", false, "", "", false}},
      {"tcp6_v4mapped", {T::kTcp, "::ffff:127.0.0.1", false, "", "", false}},
      {"tcp4_shared", {T::kTcp, "127.0.0.1", false, "", "", true}},
      {"ns_a_tcp4_any", {T::kTcp, "0.0.0.0", false, a, "", false}},
      {"ns_a_udp6_loopback", {T::kUdp, "::1", true, a, "", false}},
      {"ns_b_docker_tcp4", {T::kTcp, "0.0.0.0", false, b, bed.container->procs_path(), false}},
      {"closed_root_tcp4", {T::kTcp, "127.0.0.1", false, "", "", false}},
      {"closed_ns_a_udp4", {T::kUdp, "0.0.0.0", false, a, "", false}},
  };
  made = StartAll(roles, bed);
  if (!made) return made;
  // Close these only now, so no listener started above can be given their ports.
  for (const auto& [role, netns] :
       {std::pair<std::string, uint64_t>{"closed_root_tcp4", bed.root_netns},
        {"closed_ns_a_udp4", bed.ns_a->inode()}}) {
    const Listener& listener = *bed.listeners[role];
    bed.closed[role] = {listener.type(), listener.spec().address, listener.port(), netns};
    made = bed.listeners[role]->Stop();
    if (!made) return made;
    bed.listeners.erase(role);
  }
  return ::testing::AssertionSuccess();
}

std::string SocketsOnPort(const std::vector<PortRecord>& records, int port) {
  std::string text;
  for (const PortRecord& r : records) {
    if (r.port == port) text += "\n  " + Describe(r);
  }
  return text.empty() ? " (none)" : text;
}

class CollectorNetnsTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    bed_ = std::make_unique<Testbed>();
    build_error_.clear();
    ::testing::AssertionResult built = BuildTestbed(*bed_);
    if (!built) build_error_ = built.message();
  }

  // Kills the children, deletes the namespaces and the cgroup, even after failures.
  static void TearDownTestSuite() { bed_.reset(); }

  void SetUp() override {
    PORTATLAS_REQUIRE_ROOT();
    ASSERT_TRUE(build_error_.empty()) << "testbed: " << build_error_;
    if (bed_->records.count(GetParam()) == 0) {
      std::vector<PortRecord> records;
      ASSERT_TRUE(RunCollector(GetParam(), &records));
      bed_->records[GetParam()] = std::move(records);
    }
  }

  const std::vector<PortRecord>& records() const { return bed_->records[GetParam()]; }
  const Listener& listener(const std::string& role) const { return *bed_->listeners.at(role); }
  uint64_t root_netns() const { return bed_->root_netns; }
  const NetNs& ns_a() const { return *bed_->ns_a; }
  const NetNs& ns_b() const { return *bed_->ns_b; }
  const FakeContainerCgroup& container() const { return *bed_->container; }

  // Checks that `l` is reported exactly once in `netns`, owned by the test's child with the
  // test binary's path, attributed to `container_id` (docker) or to no container.
  ::testing::AssertionResult IsReported(const Listener& l, uint64_t netns,
                                        const std::string& container_id = "") const {
    std::vector<PortRecord> found =
        FindSocket(records(), l.type(), l.spec().address, l.port(), netns);
    if (found.size() != 1) {
      return ::testing::AssertionFailure()
             << "want exactly one " << l.type() << " " << l.spec().address << " port " << l.port()
             << " in netns " << netns << ", got " << found.size()
             << "; records on that port:" << SocketsOnPort(records(), l.port());
    }
    const PortRecord& r = found[0];
    const std::string runtime = container_id.empty() ? "" : "docker";
    if (r.pid != l.lowest_pid() || r.sharers != l.holders() || r.path != SelfExePath() ||
        r.exe_deleted || r.container_id != container_id || r.container_runtime != runtime) {
      return ::testing::AssertionFailure()
             << "got " << Describe(r) << "\nwant pid=" << l.lowest_pid()
             << " sharers=" << l.holders() << " path=\"" << SelfExePath()
             << "\" exe_deleted=0 container_id=\"" << container_id << "\" container_runtime=\""
             << runtime << "\"";
    }
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult IsAbsent(const std::string& role) const {
    const ClosedSocket& s = bed_->closed.at(role);
    std::vector<PortRecord> found = FindSocket(records(), s.type, s.laddr, s.port, s.netns);
    if (found.empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "closed socket still reported: " << Describe(found[0]);
  }

 private:
  static std::unique_ptr<Testbed> bed_;
  static std::string build_error_;
};

std::unique_ptr<Testbed> CollectorNetnsTest::bed_;
std::string CollectorNetnsTest::build_error_;

TEST_P(CollectorNetnsTest, ReportsTcp4LoopbackListener) {
  EXPECT_TRUE(IsReported(listener("tcp4_loopback"), root_netns()));
}

TEST_P(CollectorNetnsTest, ReportsTcp4WildcardListener) {
  EXPECT_TRUE(IsReported(listener("tcp4_any"), root_netns()));
}

TEST_P(CollectorNetnsTest, ReportsTcp6LoopbackListener) {
  EXPECT_TRUE(IsReported(listener("tcp6_loopback"), root_netns()));
}

TEST_P(CollectorNetnsTest, ReportsTcp6WildcardV6OnlyListener) {
  EXPECT_TRUE(IsReported(listener("tcp6_any_v6only"), root_netns()));
}

TEST_P(CollectorNetnsTest, ReportsUdp4LoopbackSocket) {
  EXPECT_TRUE(IsReported(listener("udp4_loopback"), root_netns()));
}

TEST_P(CollectorNetnsTest, ReportsUdp6DualStackWildcardSocket) {
  EXPECT_TRUE(IsReported(listener("udp6_any_dual"), root_netns()));
}

TEST_P(CollectorNetnsTest, ReportsV4MappedListenerAsTcp6) {
  EXPECT_TRUE(IsReported(listener("tcp6_v4mapped"), root_netns()));
}

TEST_P(CollectorNetnsTest, ReportsSharedSocketOnceWithLowestPidAndTwoSharers) {
  const Listener& shared = listener("tcp4_shared");
  ASSERT_NE(shared.sharer_pid(), 0);
  EXPECT_TRUE(IsReported(shared, root_netns()));
}

TEST_P(CollectorNetnsTest, ReportsTcpListenerInNamedNetns) {
  EXPECT_TRUE(IsReported(listener("ns_a_tcp4_any"), ns_a().inode()));
}

TEST_P(CollectorNetnsTest, ReportsUdp6SocketInNamedNetns) {
  EXPECT_TRUE(IsReported(listener("ns_a_udp6_loopback"), ns_a().inode()));
}

TEST_P(CollectorNetnsTest, AttributesListenerInDockerCgroupToItsContainer) {
  EXPECT_TRUE(IsReported(listener("ns_b_docker_tcp4"), ns_b().inode(), container().container_id()));
}

TEST_P(CollectorNetnsTest, NamesSocketsInNamedNetns) {
  for (const char* role : {"ns_a_tcp4_any", "ns_a_udp6_loopback"}) {
    const Listener& l = listener(role);
    std::vector<PortRecord> found =
        FindSocket(records(), l.type(), l.spec().address, l.port(), ns_a().inode());
    ASSERT_EQ(found.size(), 1u) << role << SocketsOnPort(records(), l.port());
    EXPECT_EQ(found[0].netns_name, ns_a().name()) << Describe(found[0]);
  }
}

TEST_P(CollectorNetnsTest, ReportsOwnerComm) {
  const Listener& l = listener("tcp4_loopback");
  std::vector<PortRecord> found =
      FindSocket(records(), l.type(), l.spec().address, l.port(), root_netns());
  ASSERT_EQ(found.size(), 1u) << SocketsOnPort(records(), l.port());
  EXPECT_EQ(found[0].comm, SelfComm());
}

TEST_P(CollectorNetnsTest, OmitsListenerClosedInRootNetns) {
  EXPECT_TRUE(IsAbsent("closed_root_tcp4"));
}

TEST_P(CollectorNetnsTest, OmitsSocketClosedInNamedNetns) {
  EXPECT_TRUE(IsAbsent("closed_ns_a_udp4"));
}

INSTANTIATE_TEST_SUITE_P(Backends, CollectorNetnsTest, ::testing::Values("netlink", "proc"),
                         [](const ::testing::TestParamInfo<std::string>& backend) {
                           return backend.param;
                         });

}  // namespace
}  // namespace portatlas::itest
