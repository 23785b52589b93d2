#include "api/tasks/task_handlers.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>

#include "api/hss/params.h"
#include "api/tasks/task_body.h"
#include "api/tasks/task_json.h"

namespace portatlas::api::tasks {
namespace {

constexpr int64_t kMaxTasksPage = 1000;
constexpr int64_t kDefaultTasksPage = 100;
constexpr int64_t kMaxRecordsPage = 10000;
constexpr int64_t kDefaultRecordsPage = 1000;

// The {id} of the path: a positive decimal integer.
Result<int64_t> TaskId(const Request& req) {
  const std::string_view raw = req.PathParam("id");
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), id);
  if (raw.empty() || ec != std::errc() || end != raw.data() + raw.size() || id <= 0) {
    return InvalidArgument(
        fmt::format("id: must be a task id (a positive integer), got '{}'", raw));
  }
  return id;
}

using inventory::NoSuchTask;

Result<store::PageRequest> Page(const Request& req, int64_t max_limit, int64_t default_limit) {
  const hss::Params p(req);
  PA_ASSIGN_OR_RETURN(limit, p.Int("limit", 1, max_limit));
  PA_ASSIGN_OR_RETURN(offset, p.Int("offset", 0, INT32_MAX));
  store::PageRequest page;
  page.limit = static_cast<int>(limit.value_or(default_limit));
  page.offset = static_cast<int>(offset.value_or(0));
  return page;
}

}  // namespace

TaskHandlers::TaskHandlers(store::Store& store, NowMs now_ms)
    : store_(store), tasks_(store, std::move(now_ms)) {}

Result<Response> TaskHandlers::Create(const Request& req) const {
  PA_ASSIGN_OR_RETURN(task, ParseCreateTaskBody(req.body));
  task.project = req.principal->project;
  PA_ASSIGN_OR_RETURN(created, tasks_.Create(std::move(task)));
  return JsonResponse(201, TaskJson(created));
}

Result<Response> TaskHandlers::AddRecords(const Request& req) const {
  PA_ASSIGN_OR_RETURN(id, TaskId(req));
  PA_ASSIGN_OR_RETURN(records, ParseRecordsBody(req.body));
  PA_RETURN_IF_ERROR(tasks_.AddRecords(req.principal->project, id, records));
  return JsonResponse(200, fmt::format(R"({{"stored":{}}})", records.size()));
}

Result<Response> TaskHandlers::Progress(const Request& req) const {
  PA_ASSIGN_OR_RETURN(id, TaskId(req));
  PA_ASSIGN_OR_RETURN(update, ParseProgressBody(req.body));
  PA_ASSIGN_OR_RETURN(task, tasks_.Progress(req.principal->project, id, update));
  return JsonResponse(200, TaskJson(task));
}

Result<Response> TaskHandlers::List(const Request& req) const {
  PA_ASSIGN_OR_RETURN(page, Page(req, kMaxTasksPage, kDefaultTasksPage));
  PA_ASSIGN_OR_RETURN(tasks, store_.ListScanTasks(req.principal->project, page));
  return JsonResponse(200, TaskListJson(tasks));
}

Result<Response> TaskHandlers::Get(const Request& req) const {
  PA_ASSIGN_OR_RETURN(id, TaskId(req));
  PA_ASSIGN_OR_RETURN(task, store_.GetScanTask(req.principal->project, id));
  if (!task) return NoSuchTask(id);
  return JsonResponse(200, TaskJson(*task));
}

Result<Response> TaskHandlers::ListRecords(const Request& req) const {
  PA_ASSIGN_OR_RETURN(id, TaskId(req));
  PA_ASSIGN_OR_RETURN(page, Page(req, kMaxRecordsPage, kDefaultRecordsPage));
  PA_ASSIGN_OR_RETURN(records, store_.ListScanRecords(req.principal->project, id, page));
  return JsonResponse(200, RecordPageJson(records));
}

}  // namespace portatlas::api::tasks
