#include "inventory/traffic.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>

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

namespace {

// The open scan services of `ip` in the project, by (proto, port).
Result<std::map<std::pair<Proto, uint16_t>, std::string>> ScannedServices(
    store::Store& store, const std::string& project, const IpAddr& ip) {
  std::map<std::pair<Proto, uint16_t>, std::string> out;
  store::ProjectPortQuery q;
  q.project = project;
  q.search = ip.ToString();  // a substring of the address: filtered exactly below
  for (q.page = {200, 0};; q.page.offset += 200) {
    PA_ASSIGN_OR_RETURN(page, store.ListProjectOpenPorts(q));
    for (const store::ScanRecordRow& r : page.rows) {
      if (r.ip == ip && !r.service.empty()) out.emplace(std::make_pair(r.proto, r.port), r.service);
    }
    if (page.rows.size() < 200) break;
  }
  return out;
}

bool OnlyUnknown(const TrafficRecord& r) {
  return r.protocols.size() == 1 && r.protocols[0].first == "Unknown";
}

}  // namespace

Status NameByScans(store::Store& store, const std::string& project,
                   std::vector<TrafficRecord>* records) {
  std::map<std::array<uint8_t, 17>, std::map<std::pair<Proto, uint16_t>, std::string>> by_ip;
  for (TrafficRecord& r : *records) {
    if (!OnlyUnknown(r)) continue;
    std::array<uint8_t, 17> key{};
    key[0] = static_cast<uint8_t>(r.ip.family);
    std::copy(r.ip.bytes.begin(), r.ip.bytes.end(), key.begin() + 1);
    auto it = by_ip.find(key);
    if (it == by_ip.end()) {
      PA_ASSIGN_OR_RETURN(services, ScannedServices(store, project, r.ip));
      it = by_ip.emplace(key, std::move(services)).first;
    }
    auto service = it->second.find({r.proto, r.port});
    if (service == it->second.end()) continue;
    r.protocols = {{service->second, r.protocols[0].second}};
    std::erase_if(r.unknown, [](const auto& e) { return e.first == "no_payload"; });
  }
  return Status::Ok();
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
    : store_(store), retention_(retention), task_([this] { PruneOnce(); }, every_ms) {}

void TrafficRetentionLoop::PruneOnce() {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto n = PruneTraffic(store_, retention_, now);
  if (!n) {
    logging::Logger().warn("traffic retention: {}", n.error().message());
  } else if (*n > 0) {
    logging::Logger().info("traffic retention: {} old rows deleted", *n);
  }
}

}  // namespace portatlas::inventory
