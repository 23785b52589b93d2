#include "collect/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <utility>

#include "core/text.h"

namespace portatlas::collect {

std::optional<uint64_t> ParseNsLink(std::string_view link) {
  constexpr std::string_view kPrefix = "net:[";
  if (link.size() <= kPrefix.size() + 1 || link.substr(0, kPrefix.size()) != kPrefix ||
      link.back() != ']') {
    return std::nullopt;
  }
  return ParseUint(link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1));
}

std::vector<NetnsInfo> DiscoverNetns(const ProcFs& proc, const std::vector<int>& pids,
                                     const std::vector<std::string>& netns_dirs) {
  std::map<uint64_t, NetnsInfo> by_inode;
  for (int pid : pids) {
    auto link = proc.ReadLink(fmt::format("{}/ns/net", pid));
    if (!link) continue;  // gone, a kernel thread without namespaces, or not ours to read
    auto inode = ParseNsLink(*link);
    if (!inode) continue;
    NetnsInfo& ns = by_inode[*inode];
    ns.inode = *inode;
    ns.pids.push_back(pid);
  }
  for (const std::string& dir : netns_dirs) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) continue;  // no such directory on this host
    while (const dirent* de = ::readdir(d)) {
      if (de->d_name[0] == '.') continue;
      const std::string path = fmt::format("{}/{}", dir, de->d_name);
      struct stat st {};
      // An nsfs bind mount reports the namespace's inode; a plain file left behind after
      // `ip netns del` failed reports its own, which matches no process and lists nothing.
      if (::stat(path.c_str(), &st) != 0) continue;
      NetnsInfo& ns = by_inode[st.st_ino];
      ns.inode = st.st_ino;
      if (ns.name.empty()) {
        ns.name = de->d_name;
        ns.mount_path = path;
      }
    }
    ::closedir(d);
  }
  std::vector<NetnsInfo> out;
  out.reserve(by_inode.size());
  for (auto& [inode, ns] : by_inode) out.push_back(std::move(ns));
  return out;
}

Result<NetnsEnter> NetnsEnter::Enter(const NetnsInfo& ns, const std::string& proc_root) {
  const int original =
      ::open(fmt::format("{}/thread-self/ns/net", proc_root).c_str(), O_RDONLY | O_CLOEXEC);
  if (original < 0) return ErrnoStatus(errno, "open own network namespace");
  std::vector<std::string> candidates;
  for (int pid : ns.pids) candidates.push_back(fmt::format("{}/{}/ns/net", proc_root, pid));
  if (!ns.mount_path.empty()) candidates.push_back(ns.mount_path);
  Status last = NotFound(fmt::format("netns {}: no process or mount to enter by", ns.inode));
  for (const std::string& path : candidates) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      last = ErrnoStatus(errno, fmt::format("open {}", path));
      continue;
    }
    struct stat st {};
    // The pid may have exited and its number been reused by a process elsewhere.
    if (::fstat(fd, &st) != 0 || st.st_ino != ns.inode) {
      ::close(fd);
      last = NotFound(fmt::format("{} no longer names netns {}", path, ns.inode));
      continue;
    }
    const int rc = ::setns(fd, CLONE_NEWNET);
    const int err = errno;
    ::close(fd);
    if (rc == 0) return NetnsEnter(original);
    last = ErrnoStatus(err, fmt::format("setns {}", path));
    if (err == EPERM) break;  // no privilege: the other candidates will fail the same way
  }
  ::close(original);
  return last;
}

NetnsEnter::NetnsEnter(NetnsEnter&& other) noexcept
    : original_fd_(std::exchange(other.original_fd_, -1)) {}

NetnsEnter::~NetnsEnter() {
  if (original_fd_ < 0) return;
  // Failing to return would leave this thread in a foreign namespace: a broken invariant.
  PA_CHECK(::setns(original_fd_, CLONE_NEWNET) == 0) << "cannot return to original netns";
  ::close(original_fd_);
}

}  // namespace portatlas::collect
