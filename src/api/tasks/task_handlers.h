// The native scan-task API (docs/scan-tasks.md): scans and imports create a task, stream its
// records and report progress; clients page through tasks and records. Every route is
// authenticated by ApiService; a task belongs to the project of the credential that created it
// and is invisible (404) to every other project. Writes are answered after they commit.
//
//   POST /v1/scan-tasks                  Create       201 task object
//   POST /v1/scan-tasks/{id}/records     AddRecords   200 {"stored": n}
//   POST /v1/scan-tasks/{id}/progress    Progress     200 task object
//   GET  /v1/scan-tasks                  List         200 {"total", "tasks"}
//   GET  /v1/scan-tasks/{id}             Get          200 task object
//   GET  /v1/scan-tasks/{id}/records     ListRecords  200 {"total", "records"}
//
// The lifecycle is inventory::ScanTasks': a finished task (done or failed) takes no more records
// or progress (kConflict: 409 PA.0409), except a progress report naming the status it already
// has (a retried final report), answered with the task unchanged. Thread-safe.
#ifndef PORTATLAS_API_TASKS_TASK_HANDLERS_H_
#define PORTATLAS_API_TASKS_TASK_HANDLERS_H_

#include <cstdint>
#include <functional>

#include "api/http.h"
#include "inventory/scan_tasks.h"
#include "store/store.h"

namespace portatlas::api::tasks {

class TaskHandlers {
 public:
  // Epoch milliseconds, for created_at, updated_at and finished_at.
  using NowMs = std::function<int64_t()>;

  // Borrows `store`, which must outlive the handlers.
  TaskHandlers(store::Store& store, NowMs now_ms);

  // Preconditions for all: the request is authenticated (req.principal is set) and, for the
  // routes with {id}, routed with that path parameter.
  Result<Response> Create(const Request& req) const;
  Result<Response> AddRecords(const Request& req) const;
  Result<Response> Progress(const Request& req) const;
  Result<Response> List(const Request& req) const;
  Result<Response> Get(const Request& req) const;
  Result<Response> ListRecords(const Request& req) const;

 private:
  store::Store& store_;
  inventory::ScanTasks tasks_;  // the lifecycle; the handlers parse and answer
};

}  // namespace portatlas::api::tasks

#endif  // PORTATLAS_API_TASKS_TASK_HANDLERS_H_
