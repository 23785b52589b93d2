// A namespace with no process in it can still hold listening sockets: the kernel's own UDP
// sockets for a VXLAN (or WireGuard) device. The collector must find such a namespace through
// its /run/netns file and list the socket with pid 0.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host_fixtures.h"
#include "port_records.h"
#include "process_runner.h"

namespace portatlas::itest {
namespace {

constexpr int kVxlanPort = 4789;
constexpr int kTimeoutMs = 30000;

class KernelSocketTest : public ::testing::TestWithParam<std::string> {};

TEST_P(KernelSocketTest, ListsOwnerlessSocketInProcesslessNamespace) {
  PORTATLAS_REQUIRE_ROOT();
  DeleteStaleNamespaces();
  std::unique_ptr<NetNs> ns;
  ASSERT_TRUE(NetNs::Create(NamespacePrefix() + "vx", &ns));
  const std::string ip = FindTool("ip");
  CommandOutput out;
  // A VXLAN device on loopback only: it opens UDP 4789 inside the namespace, owned by no
  // process. Traffic cannot leave the namespace, which has no other link.
  ASSERT_TRUE(RunCommand({ip, "-n", ns->name(), "link", "add", "vx0", "type", "vxlan", "id", "42",
                          "dstport", std::to_string(kVxlanPort), "local", "127.0.0.1", "dev", "lo"},
                         kTimeoutMs, &out));
  if (out.exit_code != 0) GTEST_SKIP() << "kernel without vxlan: " << out.stderr_text;
  ASSERT_TRUE(RunCommandOk({ip, "-n", ns->name(), "link", "set", "vx0", "up"}, kTimeoutMs));

  std::vector<PortRecord> records;
  ASSERT_TRUE(RunCollector(GetParam(), &records));
  std::vector<PortRecord> found = FindSocket(records, "UDP", "0.0.0.0", kVxlanPort, ns->inode());
  ASSERT_EQ(found.size(), 1u) << "netns " << ns->inode();
  EXPECT_EQ(found[0].pid, 0) << Describe(found[0]);
  EXPECT_EQ(found[0].sharers, 0);
  EXPECT_EQ(found[0].path, "");
  EXPECT_EQ(found[0].netns_name, ns->name());
}

INSTANTIATE_TEST_SUITE_P(Backends, KernelSocketTest, ::testing::Values("netlink", "proc"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace portatlas::itest
