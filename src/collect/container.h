// Container attribution from /proc/PID/cgroup, cgroup v1 and v2 layouts.
//
// Recognised paths (the id is the 64-hex component; the runtime comes from its prefix or,
// failing that, from an ancestor directory):
//   v2/systemd: /system.slice/docker-<id>.scope            -> docker
//               /machine.slice/libpod-<id>.scope[/container] -> podman
//               /kubepods.slice/.../cri-containerd-<id>.scope -> containerd
//               /kubepods.slice/.../crio-<id>.scope          -> cri-o
//   cgroupfs:   /docker/<id>                                 -> docker
//               /kubepods/burstable/pod<uid>/<id>            -> kubepods
//               /libpod_parent/libpod-<id>                   -> podman
//   lxc:        /lxc.payload.<name>, /lxc/<name>             -> lxc (id = name)
// conmon scopes (crio-conmon-, libpod-conmon-) are the runtime's monitor, not a container.
// Pure functions, thread-safe.
#ifndef PORTATLAS_COLLECT_CONTAINER_H_
#define PORTATLAS_COLLECT_CONTAINER_H_

#include <optional>
#include <string>
#include <string_view>

namespace portatlas::collect {

struct ContainerRef {
  std::string id;
  std::string runtime;  // docker, containerd, cri-o, podman, kubepods, lxc; "" when unknown
  friend bool operator==(const ContainerRef&, const ContainerRef&) = default;
};

// Container of one cgroup path (the part after the second ':' of a line); nullopt if none.
std::optional<ContainerRef> ContainerFromCgroupPath(std::string_view path);

// Container named by a whole /proc/PID/cgroup file. The v2 line ("0::") is consulted first,
// then v1 lines in file order. Malformed lines are ignored.
std::optional<ContainerRef> ContainerFromCgroupFile(std::string_view content);

}  // namespace portatlas::collect

#endif  // PORTATLAS_COLLECT_CONTAINER_H_
