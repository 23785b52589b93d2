// Socket ownership: which processes hold which socket inodes.
//
// The kernel does not report pids with sockets, so, like `ss -p`, the collector reads the
// /proc/PID/fd links of every process. Only the inodes asked for are kept, each process is read
// once, and the walk is split across threads.
#ifndef PORTATLAS_COLLECT_OWNERS_H_
#define PORTATLAS_COLLECT_OWNERS_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "collect/proc_fs.h"

namespace portatlas::collect {

struct SocketOwner {
  int pid = 0;      // lowest pid holding the socket
  int sharers = 0;  // distinct processes holding it (pre-fork servers share listeners)
};

// "socket:[12345]" -> 12345; nullopt for any other link target.
std::optional<uint64_t> ParseSocketLink(std::string_view link);

// Maps each inode of `wanted` held by any of `pids` to its owner. Processes that vanish or
// whose fd directory cannot be read are skipped. Uses up to `threads` threads (>= 1).
std::unordered_map<uint64_t, SocketOwner> MapSocketOwners(
    const ProcFs& proc, const std::vector<int>& pids, const std::unordered_set<uint64_t>& wanted,
    int threads);

}  // namespace portatlas::collect

#endif  // PORTATLAS_COLLECT_OWNERS_H_
