#include "collect/process_info.h"

#include <fmt/format.h>

#include "core/text.h"

namespace portatlas::collect {

std::string_view StripDeletedSuffix(std::string_view exe, bool* deleted) {
  constexpr std::string_view kDeleted = " (deleted)";
  *deleted = exe.size() > kDeleted.size() && exe.substr(exe.size() - kDeleted.size()) == kDeleted;
  if (*deleted) exe.remove_suffix(kDeleted.size());
  return exe;
}

ProcessInfo ReadProcessInfo(const ProcFs& proc, int pid) {
  ProcessInfo info;
  // comm is at most 16 bytes; anything longer is not procfs talking.
  if (auto comm = proc.ReadFile(fmt::format("{}/comm", pid), 64)) {
    info.comm = std::string(Trim(*comm));
  }
  if (auto exe = proc.ReadLink(fmt::format("{}/exe", pid))) {
    info.exe = std::string(StripDeletedSuffix(*exe, &info.exe_deleted));
  }
  if (auto cgroup = proc.ReadFile(fmt::format("{}/cgroup", pid), 1u << 20)) {
    info.container = ContainerFromCgroupFile(*cgroup);
  }
  return info;
}

}  // namespace portatlas::collect
