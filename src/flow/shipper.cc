#include "flow/shipper.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "core/file.h"
#include "core/log.h"
#include "core/text.h"
#include "core/traffic_json.h"
#include "net/backoff.h"

namespace portatlas::flow {
namespace {

constexpr size_t kNameDigits = 20;
constexpr size_t kMaxBatchFileBytes = 64u << 20;

Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return Status::Ok();
  return ErrnoStatus(errno, "mkdir " + path);
}

std::string SpoolName(uint64_t batch) { return fmt::format("{:0{}}.json", batch, kNameDigits); }

// The batch number of a spool file name, or 0 for any other name.
uint64_t BatchOfName(std::string_view name) {
  if (name.size() != kNameDigits + 5 || !name.ends_with(".json")) return 0;
  return ParseUint(name.substr(0, kNameDigits), UINT64_MAX).value_or(0);
}

Result<std::string> ReadOrMakeCollectorId(const std::string& path) {
  auto text = ReadFileCapped(path, 256);
  if (text) {
    const std::string id(Trim(*text));
    if (!id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) != 0;
        })) {
      return id;
    }
    return InvalidArgument(fmt::format("{}: not a collector id", path));
  }
  if (text.error().kind() != ErrorKind::kNotFound) return text.error();
  uint8_t bytes[16];
  if (getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) {
    return ErrnoStatus(errno, "getrandom");
  }
  std::string id;
  for (uint8_t b : bytes) id += fmt::format("{:02x}", b);
  PA_RETURN_IF_ERROR(WriteFileDurably(path, id + "\n"));
  return id;
}

bool SaysDuplicate(std::string_view body) {
  return body.find("\"duplicate\":true") != std::string_view::npos;
}

}  // namespace

Result<std::unique_ptr<TrafficShipper>> TrafficShipper::Open(ShipperOptions options, Post post) {
  std::unique_ptr<TrafficShipper> s(new TrafficShipper(std::move(options), std::move(post)));
  PA_RETURN_IF_ERROR(s->Load());
  s->sender_ = std::thread([p = s.get()] { p->Run(); });
  return s;
}

TrafficShipper::~TrafficShipper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (sender_.joinable()) sender_.join();
}

Status TrafficShipper::Load() {
  const std::string& dir = options_.state_dir;
  PA_RETURN_IF_ERROR(MakeDir(dir));
  spool_dir_ = dir + "/spool";
  PA_RETURN_IF_ERROR(MakeDir(spool_dir_));
  PA_RETURN_IF_ERROR(MakeDir(spool_dir_ + "/refused"));
  PA_ASSIGN_OR_RETURN(id, ReadOrMakeCollectorId(dir + "/collector-id"));
  collector_id_ = std::move(id);
  auto next = ReadFileCapped(dir + "/next-batch", 64);
  if (next) {
    next_batch_ = ParseUint(Trim(*next), UINT64_MAX).value_or(0);
    if (next_batch_ == 0) return InvalidArgument(dir + "/next-batch: not a batch number");
  } else if (next.error().kind() != ErrorKind::kNotFound) {
    return next.error();
  }
  DIR* d = opendir(spool_dir_.c_str());
  if (d == nullptr) return ErrnoStatus(errno, "opendir " + spool_dir_);
  while (dirent* e = readdir(d)) {
    const uint64_t batch = BatchOfName(e->d_name);
    if (batch == 0) continue;
    const std::string path = spool_dir_ + "/" + e->d_name;
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) continue;
    queue_.push_back({batch, path, static_cast<uint64_t>(st.st_size)});
    next_batch_ = std::max(next_batch_, batch + 1);
  }
  closedir(d);
  std::sort(queue_.begin(), queue_.end(),
            [](const Spooled& a, const Spooled& b) { return a.batch < b.batch; });
  for (const Spooled& q : queue_) {
    ++stats_.spool_files;
    stats_.spool_bytes += q.bytes;
  }
  return Status::Ok();
}

Result<uint64_t> TrafficShipper::NextBatchNumber() {
  const uint64_t batch = next_batch_;
  // Synced before the batch is written: a restart never hands this number out again.
  PA_RETURN_IF_ERROR(
      WriteFileDurably(options_.state_dir + "/next-batch", fmt::format("{}\n", batch + 1)));
  ++next_batch_;
  return batch;
}

Status TrafficShipper::Enqueue(std::vector<TrafficRecord> records) {
  const size_t per =
      std::max<size_t>(1, std::min(options_.records_per_batch, kMaxTrafficRecordsPerBatch));
  for (size_t start = 0; start < records.size(); start += per) {
    TrafficBatch b;
    b.collector = collector_id_;
    const size_t end = std::min(records.size(), start + per);
    b.records.assign(std::make_move_iterator(records.begin() + static_cast<std::ptrdiff_t>(start)),
                     std::make_move_iterator(records.begin() + static_cast<std::ptrdiff_t>(end)));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stats_.spool_bytes >= options_.max_spool_bytes) {
        ++stats_.over_capacity;
        return Unavailable(fmt::format("the spool holds {} bytes, its limit", stats_.spool_bytes));
      }
    }
    PA_ASSIGN_OR_RETURN(batch, NextBatchNumber());
    b.batch = batch;
    const std::string body = TrafficBatchJson(b);
    const std::string path = spool_dir_ + "/" + SpoolName(batch);
    PA_RETURN_IF_ERROR(WriteFileDurably(path, body));
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back({batch, path, body.size()});
      ++stats_.batches_spooled;
      ++stats_.spool_files;
      stats_.spool_bytes += body.size();
    }
    cv_.notify_all();
  }
  return Status::Ok();
}

bool TrafficShipper::WaitIdle(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return queue_.empty(); });
}

ShipperStats TrafficShipper::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool TrafficShipper::SendOldest(const Spooled& s) {
  auto body = ReadFileCapped(s.path, kMaxBatchFileBytes);
  net::HttpReply reply;
  if (body) reply = post_(*body);
  std::lock_guard<std::mutex> lock(mu_);
  auto done = [&] {
    queue_.pop_front();
    --stats_.spool_files;
    stats_.spool_bytes -= std::min(stats_.spool_bytes, s.bytes);
    cv_.notify_all();
    return true;
  };
  if (!body) {  // unreadable: nothing to send, nothing to keep
    logging::Logger().error("spool {}: {}; dropped", s.path, body.error().message());
    unlink(s.path.c_str());
    return done();
  }
  if (net::ClassifyReply(reply, true) == net::ReplyClass::kSuccess) {
    ++(SaysDuplicate(reply.body) ? stats_.duplicates : stats_.batches_acked);
    unlink(s.path.c_str());
    return done();
  }
  if (reply.status == 400 || reply.status == 413) {
    logging::Logger().error("the server refused batch {} ({}): {}; kept in {}/refused", s.batch,
                            reply.status, reply.body, spool_dir_);
    const std::string to = spool_dir_ + "/refused/" + SpoolName(s.batch);
    std::rename(s.path.c_str(), to.c_str());
    ++stats_.refused;
    return done();
  }
  ++stats_.send_failures;
  return false;
}

void TrafficShipper::Run() {
  net::Backoff backoff(options_.backoff_initial_ms, options_.backoff_cap_ms,
                       net::SystemUniform01());
  for (;;) {
    Spooled next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      next = queue_.front();
    }
    if (SendOldest(next)) {
      backoff.Reset();
      continue;
    }
    const int64_t delay = backoff.NextDelayMs();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(delay), [&] { return stopping_; });
    if (stopping_) return;
  }
}

}  // namespace portatlas::flow
