// TaskUploader: delivers a scan's (or an import's) records to the server as a scan task
// (docs/scan-tasks.md). Start() creates the task; Add() buffers records, which a background
// thread sends in batches (every flush_records records, or flush_interval_ms after the oldest
// unsent one); Progress() reports are sent at most every progress_interval_ms; Finish() sends
// what is left and the final status.
//
// Delivery. A request that fails transiently (no connection, no answer, 408, 429, 5xx) is
// retried with jittered exponential backoff for up to retry_budget_ms; records and progress
// are idempotent on the server, so a retried request cannot duplicate anything. Any other
// answer is permanent: the upload stops, later records are dropped, and Finish returns that
// first error. One exception: a record the server refuses (400 naming records[i]: a field out
// of its limits) is dropped alone and the rest of its batch sent again; Finish reports such
// records as an error once the task is finished.
//
// Back-pressure: Add() blocks while max_buffered records wait to be sent (a server that is slow
// or retrying slows the scan down instead of filling memory).
//
// Thread-safety: Add() and Progress() may be called from any threads at once; Finish() once,
// from one thread, after the last Add(). The destructor of an unfinished uploader finishes the
// task as failed.
#ifndef PORTATLAS_SCAN_UPLOAD_TASK_UPLOADER_H_
#define PORTATLAS_SCAN_UPLOAD_TASK_UPLOADER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "scan/record.h"
#include "scan/upload/http_transport.h"
#include "scan/upload/task_wire.h"

namespace portatlas::scan {

struct UploaderOptions {
  size_t flush_records = 1000;
  int64_t flush_interval_ms = 500;
  int64_t progress_interval_ms = 1000;
  size_t max_batch = 5000;       // records per request (the server takes up to 10,000)
  size_t max_buffered = 100000;  // Add() blocks beyond this
  int64_t retry_budget_ms = 30000;
  int64_t backoff_initial_ms = 250;  // >= 2
  int64_t backoff_cap_ms = 4000;     // >= backoff_initial_ms
  size_t max_refused = 1000;         // refused records before the upload gives up
};

struct UploadStats {
  uint64_t stored = 0;   // records the server acknowledged
  uint64_t refused = 0;  // records the server refused (dropped alone)
  uint64_t dropped = 0;  // records not sent because the upload had failed
};

class TaskUploader {
 public:
  // Creates the task at `server_url` (http://HOST[:PORT][/PREFIX]) with `token`'s project.
  // Fails with the server's answer: kUnauthenticated for a refused token (401),
  // kInvalidArgument for a refused spec or URL, kUnavailable when the server cannot be reached
  // within the retry budget. Creation is retried only when the server cannot have created the
  // task (no connection, 408, 429, 503), so it never makes two tasks.
  static Result<std::unique_ptr<TaskUploader>> Start(const std::string& server_url,
                                                     std::string token, TaskSpec spec);
  // The same over any transport (tests use a fake), with options.
  static Result<std::unique_ptr<TaskUploader>> Start(std::unique_ptr<TaskTransport> transport,
                                                     TaskSpec spec, UploaderOptions options);
  ~TaskUploader();
  TaskUploader(const TaskUploader&) = delete;
  TaskUploader& operator=(const TaskUploader&) = delete;

  // Queues a copy of `record`. Ignored after Finish().
  void Add(const ScanRecord& record);
  // The scan's progress so far; only the newest values are sent.
  void Progress(uint64_t done, uint64_t total);
  // Sends every queued record, then the final status: "done" when `ok` and every delivery
  // succeeded, else "failed" with `error` (or the delivery error). Returns the first delivery
  // error, else an error for refused records, else OK. Further calls return the same.
  Status Finish(bool ok, std::string error = "");

  // The server's id of the task.
  int64_t task_id() const { return task_id_; }
  UploadStats stats() const;

 private:
  TaskUploader(std::unique_ptr<TaskTransport> transport, UploaderOptions options, int64_t id);

  Status SendRecords(std::vector<ScanRecord> batch);
  Status SendProgress(uint64_t done, uint64_t total, std::string_view status,
                      std::string_view error);
  void SenderLoop();

  std::unique_ptr<TaskTransport> transport_;
  const UploaderOptions options_;
  const int64_t task_id_;
  std::function<double()> uniform01_;  // backoff jitter; used by one thread at a time

  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // wakes the sender
  std::condition_variable space_cv_;  // wakes Add() waiting for room
  std::vector<ScanRecord> buffer_;
  int64_t oldest_buffered_ms_ = 0;  // steady clock
  uint64_t done_ = 0;
  uint64_t total_ = 0;
  bool progress_dirty_ = false;
  int64_t progress_sent_ms_ = std::numeric_limits<int64_t>::min() / 2;  // the first is due now
  bool finishing_ = false;
  bool failed_ = false;
  Status first_error_;
  std::string first_refusal_;
  UploadStats stats_;
  bool finished_ = false;
  Status finish_result_;
  std::thread sender_;  // last: started once everything above exists
};

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_UPLOAD_TASK_UPLOADER_H_
