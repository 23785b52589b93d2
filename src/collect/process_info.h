// What the collector tells about a socket's owning process: name, executable, container.
#ifndef PORTATLAS_COLLECT_PROCESS_INFO_H_
#define PORTATLAS_COLLECT_PROCESS_INFO_H_

#include <optional>
#include <string>
#include <string_view>

#include "collect/container.h"
#include "collect/proc_fs.h"

namespace portatlas::collect {

struct ProcessInfo {
  std::string comm;          // /proc/PID/comm without the newline; "" when unreadable
  std::string exe;           // /proc/PID/exe target without " (deleted)"; "" when unreadable
  bool exe_deleted = false;  // the executable was deleted or replaced since it started
  std::optional<ContainerRef> container;
};

// Splits the " (deleted)" marker the kernel appends to an unlinked executable's path.
std::string_view StripDeletedSuffix(std::string_view exe, bool* deleted);

// Reads what can be read about `pid`; parts that are missing (the process exited mid-scan,
// kernel threads have no exe, permission denied) stay empty. Never fails.
ProcessInfo ReadProcessInfo(const ProcFs& proc, int pid);

}  // namespace portatlas::collect

#endif  // PORTATLAS_COLLECT_PROCESS_INFO_H_
