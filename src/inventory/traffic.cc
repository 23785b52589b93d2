#include "inventory/traffic.h"

#include <chrono>

#include "core/log.h"

namespace portatlas::inventory {
namespace {

Status MergeInto(store::StoreWriter& w, std::string_view project, store::TrafficGranularity g,
                 TrafficRecord r) {
  PA_ASSIGN_OR_RETURN(stored, w.GetTraffic(project, g, r));
  if (!stored) return w.PutTraffic(project, g, r);
  TrafficRecord merged = std::move(*stored);
  if (Status st = MergeTraffic(&merged, r); !st.ok()) {
    return InvalidArgument("sources do not merge with the stored ones: " + st.message());
  }
  return w.PutTraffic(project, g, merged);
}

}  // namespace

Result<TrafficApplied> ApplyTrafficBatch(store::Store& store, std::string_view project,
                                         const TrafficBatch& batch, int64_t now_ms) {
  TrafficApplied applied;
  Status st = store.Write([&](store::StoreWriter& w) -> Status {
    applied = {};  // the callback may run more than once
    PA_ASSIGN_OR_RETURN(fresh, w.ClaimTrafficBatch(project, batch.collector, batch.batch, now_ms));
    if (!fresh) {
      applied.duplicate = true;
      return Status::Ok();
    }
    for (const TrafficRecord& r : batch.records) {
      TrafficRecord hour = r;
      hour.bucket_ms = r.bucket_ms - r.bucket_ms % kHourMs;
      PA_RETURN_IF_ERROR(MergeInto(w, project, store::TrafficGranularity::kHour, hour));
      TrafficRecord day = r;
      day.bucket_ms = r.bucket_ms - r.bucket_ms % kDayMs;
      PA_RETURN_IF_ERROR(MergeInto(w, project, store::TrafficGranularity::kDay, day));
      ++applied.records;
    }
    return Status::Ok();
  });
  PA_RETURN_IF_ERROR(st);
  return applied;
}

Result<int64_t> PruneTraffic(store::Store& store, const TrafficRetention& retention,
                             int64_t now_ms) {
  int64_t deleted = 0;
  Status st = store.Write([&](store::StoreWriter& w) -> Status {
    const int64_t today = now_ms - now_ms % kDayMs;
    PA_ASSIGN_OR_RETURN(n, w.PruneTraffic(today - retention.hourly_days * kDayMs,
                                          today - retention.daily_days * kDayMs,
                                          now_ms - retention.batch_days * kDayMs));
    deleted = n;
    return Status::Ok();
  });
  PA_RETURN_IF_ERROR(st);
  return deleted;
}

TrafficRetentionLoop::TrafficRetentionLoop(store::Store& store, TrafficRetention retention,
                                           int64_t every_ms)
    : store_(store), retention_(retention), every_ms_(every_ms) {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      lock.unlock();
      const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      auto n = PruneTraffic(store_, retention_, now);
      if (!n) {
        logging::Logger().warn("traffic retention: {}", n.error().message());
      } else if (*n > 0) {
        logging::Logger().info("traffic retention: {} old rows deleted", *n);
      }
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(every_ms_), [this] { return stopping_; });
    }
  });
}

TrafficRetentionLoop::~TrafficRetentionLoop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace portatlas::inventory
