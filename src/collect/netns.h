// Network namespace discovery and entry.
//
// Discovery lists each distinct namespace once: from the /proc/PID/ns/net links of every
// process, and from namespace files bind-mounted in directories such as /run/netns (which can
// exist with no process inside). Entry (NetnsEnter) moves the calling thread into a namespace
// with setns(2) and back; a netlink socket opened meanwhile stays bound to that namespace.
#ifndef PORTATLAS_COLLECT_NETNS_H_
#define PORTATLAS_COLLECT_NETNS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collect/proc_fs.h"
#include "core/status.h"

namespace portatlas::collect {

struct NetnsInfo {
  uint64_t inode = 0;
  std::string name;        // `ip netns` name when a file in a netns dir names it, else ""
  std::string mount_path;  // that file's path, e.g. "/run/netns/blue"
  std::vector<int> pids;   // processes inside, ascending; empty for mount-only namespaces
};

// "net:[4026531840]" -> 4026531840; nullopt when malformed.
std::optional<uint64_t> ParseNsLink(std::string_view link);

// Distinct namespaces of `pids` (read from "<pid>/ns/net" under `proc`) and of the namespace
// files in `netns_dirs`, ordered by inode. Processes that vanish are skipped silently.
std::vector<NetnsInfo> DiscoverNetns(const ProcFs& proc, const std::vector<int>& pids,
                                     const std::vector<std::string>& netns_dirs);

// RAII: enters a namespace for the calling thread and returns to the original on destruction.
class NetnsEnter {
 public:
  // Enters the namespace of `ns`, through /proc/PID/ns/net of one of its pids (trying each in
  // turn) or its mount_path. `proc_root` is the real procfs root.
  static Result<NetnsEnter> Enter(const NetnsInfo& ns, const std::string& proc_root);

  NetnsEnter(NetnsEnter&& other) noexcept;
  NetnsEnter& operator=(NetnsEnter&&) = delete;
  NetnsEnter(const NetnsEnter&) = delete;
  NetnsEnter& operator=(const NetnsEnter&) = delete;
  ~NetnsEnter();

 private:
  explicit NetnsEnter(int original_fd) : original_fd_(original_fd) {}
  int original_fd_ = -1;
};

}  // namespace portatlas::collect

#endif  // PORTATLAS_COLLECT_NETNS_H_
