#include "collect/container.h"

#include <gtest/gtest.h>

#include <string>

namespace portatlas::collect {
namespace {

const std::string kId(64, 'a');
const std::string kId2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Case {
  const char* name;
  std::string cgroup_file;
  std::string id;  // "" = no container
  std::string runtime;
};

class ContainerTableTest : public testing::TestWithParam<Case> {};

TEST_P(ContainerTableTest, Attributes) {
  auto ref = ContainerFromCgroupFile(GetParam().cgroup_file);
  if (GetParam().id.empty()) {
    EXPECT_FALSE(ref.has_value()) << ref->id;
    return;
  }
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->id, GetParam().id);
  EXPECT_EQ(ref->runtime, GetParam().runtime);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ContainerTableTest,
    testing::Values(
        Case{"v2_docker_systemd", "0::/system.slice/docker-" + kId + ".scope\n", kId, "docker"},
        Case{"v2_docker_nested_subgroup", "0::/system.slice/docker-" + kId + ".scope/init.scope\n",
             kId, "docker"},
        Case{"v2_docker_cgroupfs", "0::/docker/" + kId + "\n", kId, "docker"},
        Case{"v2_podman", "0::/machine.slice/libpod-" + kId + ".scope/container\n", kId, "podman"},
        Case{"v2_podman_conmon_is_not_a_container",
             "0::/machine.slice/libpod-conmon-" + kId + ".scope\n", "", ""},
        Case{"v2_k8s_containerd",
             "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234_5678.slice/"
             "cri-containerd-" +
                 kId + ".scope\n",
             kId, "containerd"},
        Case{"v2_k8s_crio",
             "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podab.slice/crio-" +
                 kId + ".scope\n",
             kId, "cri-o"},
        Case{"v2_crio_conmon", "0::/kubepods.slice/crio-conmon-" + kId + ".scope\n", "", ""},
        Case{"v1_kubepods_cgroupfs",
             "12:pids:/kubepods/burstable/pod8f2c/" + kId +
                 "\n11:memory:/kubepods/burstable/"
                 "pod8f2c/" +
                 kId + "\n0::/\n",
             kId, "kubepods"},
        Case{"v1_docker",
             "12:blkio:/docker/" + kId2 + "\n4:memory:/docker/" + kId2 +
                 "\n1:name=systemd:/docker/" + kId2 + "\n",
             kId2, "docker"},
        Case{"v2_line_preferred_over_v1",
             "4:memory:/docker/" + kId2 + "\n0::/system.slice/docker-" + kId + ".scope\n", kId,
             "docker"},
        Case{"lxc_payload", "0::/lxc.payload.web1\n", "web1", "lxc"},
        Case{"lxc_v1", "3:cpu:/lxc/db2\n", "db2", "lxc"},
        // Found by cgroup_fuzz: a bare ".scope" under /lxc is not a container with an empty id.
        Case{"lxc_bare_scope", "0::/lxc/.scope/w\n", "", ""},
        Case{"host_process", "0::/system.slice/sshd.service\n", "", ""},
        Case{"root_cgroup", "0::/\n", "", ""},
        Case{"user_session", "0::/user.slice/user-0.slice/session-3.scope\n", "", ""},
        Case{"empty", "", "", ""},
        Case{"truncated_id", "0::/system.slice/docker-" + kId.substr(0, 63) + ".scope\n", "", ""},
        Case{"non_hex_id", "0::/docker/" + std::string(64, 'z') + "\n", "", ""},
        Case{"no_colons", "garbage line without separators\n", "", ""},
        Case{"one_colon", "0:/docker/" + kId + "\n", "", ""},
        Case{"bare_id_unknown_runtime", "0::/custom/" + kId + "\n", kId, ""},
        Case{"truncated_file_mid_line", "0::/system.slice/dock", "", ""}),
    [](const testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace portatlas::collect
