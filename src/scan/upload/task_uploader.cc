#include "scan/upload/task_uploader.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iterator>
#include <limits>

#include "core/text.h"
#include "net/backoff.h"

namespace portatlas::scan {
namespace {

constexpr size_t kMaxErrorBytes = 4096;  // the server's limit on a task's error text

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::chrono::steady_clock::time_point SteadyAt(int64_t ms) {
  return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms));
}

bool IsSuccess(int status) { return status >= 200 && status < 300; }

ErrorKind KindOfStatus(int status) {
  switch (status) {
    case 401:
      return ErrorKind::kUnauthenticated;
    case 403:
      return ErrorKind::kPermissionDenied;
    case 404:
      return ErrorKind::kNotFound;
    default:
      return status == 0 || status == 408 || status == 429 || status >= 500
                 ? ErrorKind::kUnavailable
                 : ErrorKind::kInvalidArgument;
  }
}

std::string Describe(const HttpReply& r) {
  return r.status == 0 ? r.body : ErrorSummary(r.status, r.body);
}

Status HttpError(const TaskTransport& t, std::string_view method, const std::string& path,
                 const HttpReply& r) {
  return Status(KindOfStatus(r.status),
                fmt::format("{} {}{}: {}", method, t.Describe(), path, Describe(r)));
}

// Sends one request until it gets a final answer (returned: 2xx or a status not worth
// repeating) or the retry budget is spent (kUnavailable).
Result<HttpReply> Deliver(TaskTransport& t, const UploaderOptions& o,
                          const std::function<double()>& uniform01, std::string_view method,
                          const std::string& path, const std::string& body, bool idempotent) {
  const int64_t start = SteadyMs();
  net::Backoff backoff(o.backoff_initial_ms, o.backoff_cap_ms, uniform01);
  for (;;) {
    HttpReply r = t.Call(method, path, body);
    if (net::ClassifyReply(r, idempotent) != net::ReplyClass::kTransient) return r;
    const int64_t delay = backoff.NextDelayMs();
    const int64_t spent = SteadyMs() - start;
    if (spent + delay > o.retry_budget_ms) {
      return Unavailable(fmt::format("{} {}{}: gave up after {} attempts in {} ms: {}", method,
                                     t.Describe(), path, backoff.attempt(), spent, Describe(r)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  }
}

// At most the server's limit, cut at a character boundary, and valid UTF-8.
std::string ErrorText(std::string s) {
  if (s.size() > kMaxErrorBytes) {
    size_t cut = kMaxErrorBytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s.resize(cut);
  }
  if (!IsValidUtf8(s)) {
    for (char& c : s) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  return s;
}

}  // namespace

Result<std::unique_ptr<TaskUploader>> TaskUploader::Start(const std::string& server_url,
                                                          std::string token, TaskSpec spec) {
  PA_ASSIGN_OR_RETURN(transport, HttpTaskTransport::Create(server_url, std::move(token)));
  return Start(std::move(transport), std::move(spec), UploaderOptions{});
}

Result<std::unique_ptr<TaskUploader>> TaskUploader::Start(std::unique_ptr<TaskTransport> transport,
                                                          TaskSpec spec, UploaderOptions options) {
  const std::string path = "/v1/scan-tasks";
  PA_ASSIGN_OR_RETURN(reply, Deliver(*transport, options, net::SystemUniform01(), "POST", path,
                                     CreateTaskBody(spec), false));
  if (!IsSuccess(reply.status)) return HttpError(*transport, "POST", path, reply);
  PA_ASSIGN_OR_RETURN(id, ParseTaskId(reply.body));
  return std::unique_ptr<TaskUploader>(new TaskUploader(std::move(transport), options, id));
}

TaskUploader::TaskUploader(std::unique_ptr<TaskTransport> transport, UploaderOptions options,
                           int64_t id)
    : transport_(std::move(transport)),
      options_(options),
      task_id_(id),
      uniform01_(net::SystemUniform01()) {
  sender_ = std::thread([this] { SenderLoop(); });
}

TaskUploader::~TaskUploader() {
  bool finished = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished = finished_;
  }
  if (!finished) (void)Finish(false, "the uploader was destroyed before the scan finished");
}

void TaskUploader::Add(const ScanRecord& record) {
  std::unique_lock<std::mutex> lock(mu_);
  space_cv_.wait(lock,
                 [&] { return buffer_.size() < options_.max_buffered || failed_ || finishing_; });
  if (finishing_) return;
  if (failed_) {
    ++stats_.dropped;
    return;
  }
  const bool was_empty = buffer_.empty();
  if (was_empty) oldest_buffered_ms_ = SteadyMs();
  buffer_.push_back(record);
  // The first record starts the flush interval: wake the sender, which may be waiting without
  // a deadline; a full batch is due at once.
  if (was_empty || buffer_.size() >= options_.flush_records) work_cv_.notify_one();
}

void TaskUploader::Progress(uint64_t done, uint64_t total) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ = done;
  total_ = total;
  if (!progress_dirty_) {
    progress_dirty_ = true;
    work_cv_.notify_one();
  }
}

UploadStats TaskUploader::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void TaskUploader::SenderLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (failed_ && !buffer_.empty()) {
      stats_.dropped += buffer_.size();
      buffer_.clear();
      space_cv_.notify_all();
    }
    const int64_t now = SteadyMs();
    const bool records_due =
        !buffer_.empty() && (finishing_ || buffer_.size() >= options_.flush_records ||
                             now >= oldest_buffered_ms_ + options_.flush_interval_ms);
    // While finishing, Finish() sends the newest progress with the final status.
    const bool progress_due = progress_dirty_ && !failed_ && !finishing_ &&
                              now >= progress_sent_ms_ + options_.progress_interval_ms;
    if (!records_due && !progress_due) {
      if (finishing_) return;  // and the buffer is empty
      int64_t wake = std::numeric_limits<int64_t>::max();
      if (!buffer_.empty()) wake = oldest_buffered_ms_ + options_.flush_interval_ms;
      if (progress_dirty_ && !failed_) {
        wake = std::min(wake, progress_sent_ms_ + options_.progress_interval_ms);
      }
      if (wake == std::numeric_limits<int64_t>::max()) {
        work_cv_.wait(lock);
      } else {
        work_cv_.wait_until(lock, SteadyAt(wake));
      }
      continue;
    }
    std::vector<ScanRecord> batch;
    if (records_due) {
      const size_t n = std::min(buffer_.size(), options_.max_batch);
      if (n == buffer_.size()) {
        batch.swap(buffer_);
      } else {
        const auto end = buffer_.begin() + static_cast<std::ptrdiff_t>(n);
        batch.assign(std::make_move_iterator(buffer_.begin()), std::make_move_iterator(end));
        buffer_.erase(buffer_.begin(), end);
        oldest_buffered_ms_ = now;
      }
      space_cv_.notify_all();
    }
    const uint64_t done = done_;
    const uint64_t total = total_;
    if (progress_due) {
      progress_dirty_ = false;
      progress_sent_ms_ = now;
    }
    lock.unlock();
    Status st;
    if (!batch.empty()) st = SendRecords(std::move(batch));
    if (st.ok() && progress_due) st = SendProgress(done, total, "", "");
    lock.lock();
    if (!st.ok() && !failed_) {
      failed_ = true;
      first_error_ = st;
      space_cv_.notify_all();
    }
  }
}

Status TaskUploader::SendRecords(std::vector<ScanRecord> batch) {
  const std::string path = fmt::format("/v1/scan-tasks/{}/records", task_id_);
  while (!batch.empty()) {
    PA_ASSIGN_OR_RETURN(
        reply, Deliver(*transport_, options_, uniform01_, "POST", path, RecordsBody(batch), true));
    if (IsSuccess(reply.status)) {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.stored += batch.size();
      return Status::Ok();
    }
    const auto refused = reply.status == 400 ? RefusedRecordIndex(reply.body) : std::nullopt;
    if (!refused || *refused >= batch.size()) return HttpError(*transport_, "POST", path, reply);
    // One record out of the server's limits: drop it alone and send the rest again.
    const auto it = batch.begin() + static_cast<std::ptrdiff_t>(*refused);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.refused;
      if (first_refusal_.empty()) {
        first_refusal_ = fmt::format("{} {}/{}: {}", it->ip.ToString(), ProtoName(it->proto),
                                     it->port, Describe(reply));
      }
      if (stats_.refused > options_.max_refused) {
        return InvalidArgument(fmt::format("the server refused more than {} records; first: {}",
                                           options_.max_refused, first_refusal_));
      }
    }
    batch.erase(it);
  }
  return Status::Ok();
}

Status TaskUploader::SendProgress(uint64_t done, uint64_t total, std::string_view status,
                                  std::string_view error) {
  const std::string path = fmt::format("/v1/scan-tasks/{}/progress", task_id_);
  PA_ASSIGN_OR_RETURN(reply, Deliver(*transport_, options_, uniform01_, "POST", path,
                                     ProgressBody(done, total, status, error), true));
  if (!IsSuccess(reply.status)) return HttpError(*transport_, "POST", path, reply);
  return Status::Ok();
}

Status TaskUploader::Finish(bool ok, std::string error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return finish_result_;
    finishing_ = true;
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  if (sender_.joinable()) sender_.join();

  std::unique_lock<std::mutex> lock(mu_);
  Status result = first_error_;
  if (result.ok() && stats_.refused > 0) {
    result = InvalidArgument(
        fmt::format("the server refused {} record(s); first: {}", stats_.refused, first_refusal_));
  }
  const bool delivered = !failed_;
  std::string final_error = std::move(error);
  if (final_error.empty() && !result.ok()) final_error = result.message();
  // After the server could not be reached for a whole retry budget, a final report would only
  // wait as long again.
  const bool reachable = delivered || first_error_.kind() != ErrorKind::kUnavailable;
  const uint64_t done = done_;
  const uint64_t total = total_;
  lock.unlock();
  if (reachable) {
    Status st = SendProgress(done, total, ok && delivered ? "done" : "failed",
                             ErrorText(std::move(final_error)));
    if (result.ok()) result = st;
  }
  lock.lock();
  finished_ = true;
  finish_result_ = result;
  return result;
}

}  // namespace portatlas::scan
