#include "collect/owners.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "core/text.h"

namespace portatlas::collect {

std::optional<uint64_t> ParseSocketLink(std::string_view link) {
  constexpr std::string_view kPrefix = "socket:[";
  if (link.size() <= kPrefix.size() + 1 || link.substr(0, kPrefix.size()) != kPrefix ||
      link.back() != ']') {
    return std::nullopt;
  }
  return ParseUint(link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1));
}

namespace {

struct Partial {
  int min_pid = 0;
  int count = 0;
  int last_pid = 0;  // a process may hold one socket in several fds: count it once
};

using PartialMap = std::unordered_map<uint64_t, Partial>;

void WalkPids(const ProcFs& proc, const std::vector<int>& pids, size_t start, size_t stride,
              const std::unordered_set<uint64_t>& wanted, PartialMap* out) {
  for (size_t i = start; i < pids.size(); i += stride) {
    const int pid = pids[i];
    // Errors (the process exited, EACCES) just mean this process owns nothing we can see.
    (void)proc.ForEachLink(fmt::format("{}/fd", pid), [&](std::string_view, std::string_view t) {
      auto inode = ParseSocketLink(t);
      if (!inode || !wanted.contains(*inode)) return;
      Partial& p = (*out)[*inode];
      if (p.last_pid == pid) return;
      p.last_pid = pid;
      ++p.count;
      if (p.min_pid == 0 || pid < p.min_pid) p.min_pid = pid;
    });
  }
}

}  // namespace

std::unordered_map<uint64_t, SocketOwner> MapSocketOwners(
    const ProcFs& proc, const std::vector<int>& pids, const std::unordered_set<uint64_t>& wanted,
    int threads) {
  const size_t n = static_cast<size_t>(std::max(1, threads));
  std::vector<PartialMap> partials(n);
  std::vector<std::thread> workers;
  // Interleaved split: neighbouring pids tend to be alike (a pre-fork server's workers).
  for (size_t t = 1; t < n; ++t) {
    workers.emplace_back(WalkPids, std::cref(proc), std::cref(pids), t, n, std::cref(wanted),
                         &partials[t]);
  }
  WalkPids(proc, pids, 0, n, wanted, &partials[0]);
  for (std::thread& w : workers) w.join();

  std::unordered_map<uint64_t, SocketOwner> owners;
  owners.reserve(wanted.size());
  for (const PartialMap& part : partials) {
    for (const auto& [inode, p] : part) {
      SocketOwner& o = owners[inode];
      // Threads see disjoint pids, so counts add up.
      o.sharers += p.count;
      if (o.pid == 0 || p.min_pid < o.pid) o.pid = p.min_pid;
    }
  }
  return owners;
}

}  // namespace portatlas::collect
