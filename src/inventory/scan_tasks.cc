#include "inventory/scan_tasks.h"

#include <fmt/format.h>

#include <utility>

namespace portatlas::inventory {
namespace {

Status Finished(int64_t id, std::string_view status, std::string_view what) {
  return Conflict(fmt::format("scan task {} is {}: it takes no more {}", id, status, what));
}

}  // namespace

Status NoSuchTask(int64_t id) { return NotFound(fmt::format("scan task {} does not exist", id)); }

Result<store::ScanTaskRow> ScanTasks::Create(store::ScanTaskRow task) const {
  task.created_ms = task.updated_ms = now_ms_();
  const Status written = store_.Write([&](store::StoreWriter& w) -> Status {
    PA_ASSIGN_OR_RETURN(id, w.CreateScanTask(task));
    task.id = id;
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return task;
}

Status ScanTasks::AddRecords(std::string_view project, int64_t id,
                             std::span<const store::ScanRecordRow> records) const {
  return store_.Write([&](store::StoreWriter& w) -> Status {
    PA_ASSIGN_OR_RETURN(task, w.GetScanTask(project, id));
    if (!task) return NoSuchTask(id);
    if (task->status != "running") return Finished(id, task->status, "records");
    return w.PutScanRecords(id, records, now_ms_());
  });
}

Result<store::ScanTaskRow> ScanTasks::Progress(std::string_view project, int64_t id,
                                               const TaskProgress& update) const {
  store::ScanTaskRow result;
  const Status written = store_.Write([&](store::StoreWriter& w) -> Status {
    PA_ASSIGN_OR_RETURN(task, w.GetScanTask(project, id));
    if (!task) return NoSuchTask(id);
    if (task->status != "running") {
      // The same final status again is a retry of the report that finished the task.
      if (update.status != task->status) return Finished(id, task->status, "progress");
      result = std::move(*task);
      return Status::Ok();
    }
    const int64_t now = now_ms_();
    if (update.probes_done) task->probes_done = *update.probes_done;
    if (update.probes_total) task->probes_total = *update.probes_total;
    if (update.error) task->error = *update.error;
    if (update.status) task->status = *update.status;
    if (task->status != "running") task->finished_ms = now;
    task->updated_ms = now;
    PA_RETURN_IF_ERROR(w.UpdateScanTask(*task));
    result = std::move(*task);
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return result;
}

}  // namespace portatlas::inventory
