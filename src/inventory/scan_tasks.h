// ScanTasks: the scan-task lifecycle (docs/scan-tasks.md), over the Store. A task is created
// running; it takes records and progress while running; a progress report with status done or
// failed finishes it, and a finished task takes nothing more (kConflict), except the same final
// status again (a retried final report), which leaves it unchanged. Tasks are per project: a
// task of another project does not exist (kNotFound). Thread-safe; every write is committed
// before the call returns.
#ifndef PORTATLAS_INVENTORY_SCAN_TASKS_H_
#define PORTATLAS_INVENTORY_SCAN_TASKS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/store.h"

namespace portatlas::inventory {

// What a progress report changes; unset fields stay as they are.
struct TaskProgress {
  std::optional<int64_t> probes_done;
  std::optional<int64_t> probes_total;
  std::optional<std::string> status;  // running, done or failed
  std::optional<std::string> error;
};

class ScanTasks {
 public:
  // Epoch milliseconds, for created, updated and finished times.
  using NowMs = std::function<int64_t()>;
  // Borrows `store`, which must outlive this.
  ScanTasks(store::Store& store, NowMs now_ms) : store_(store), now_ms_(std::move(now_ms)) {}

  // Stores `task` as a new task of its project; returns it with its id and times set.
  Result<store::ScanTaskRow> Create(store::ScanTaskRow task) const;
  // Adds records to a running task. kNotFound, kConflict (finished).
  Status AddRecords(std::string_view project, int64_t id,
                    std::span<const store::ScanRecordRow> records) const;
  // Applies a progress report; returns the task as it is after it. kNotFound, kConflict.
  Result<store::ScanTaskRow> Progress(std::string_view project, int64_t id,
                                      const TaskProgress& update) const;

 private:
  store::Store& store_;
  NowMs now_ms_;
};

// "scan task N does not exist" (kNotFound).
Status NoSuchTask(int64_t id);

}  // namespace portatlas::inventory

#endif  // PORTATLAS_INVENTORY_SCAN_TASKS_H_
