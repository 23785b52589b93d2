// The traffic view's domain rules: applying a collector's batch exactly once, keeping hourly
// and daily totals, and how long each is kept (docs/traffic.md).
#ifndef PORTATLAS_INVENTORY_TRAFFIC_H_
#define PORTATLAS_INVENTORY_TRAFFIC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/periodic.h"
#include "core/status.h"
#include "core/traffic_json.h"
#include "store/store.h"

namespace portatlas::inventory {

inline constexpr int64_t kDayMs = 24 * kHourMs;

struct TrafficRetention {
  int64_t hourly_days = 30;
  int64_t daily_days = 400;
  // A batch name is remembered this long: a collector that resends a batch older than this
  // (it would have to be offline for so long) has it counted again.
  int64_t batch_days = 30;
};

struct TrafficApplied {
  bool duplicate = false;  // the batch was applied before; nothing was added
  size_t records = 0;      // records added (each to its hour and its day)
};

// Applies `batch` to `project` in one transaction: its name is claimed, then each record is
// merged into its hourly record and its daily one (created when new). A batch applied before
// adds nothing. kInvalidArgument when a record's sources do not merge with the stored ones.
Result<TrafficApplied> ApplyTrafficBatch(store::Store& store, std::string_view project,
                                         const TrafficBatch& batch, int64_t now_ms);

// For records an exporter reported (whose bytes went to "Unknown" for want of payload), the
// service a scan task found open on the same address, protocol and port names them: the
// Unknown bytes move to that service and the no_payload flows are no longer unknown
// (tcp_not_establish stays: such a flow never reached the service). Records pcap input named
// are left as they are. Read at query time, so a later scan names older traffic too.
Status NameByScans(store::Store& store, const std::string& project,
                   std::vector<TrafficRecord>* records);

// Deletes what `retention` no longer keeps at `now_ms`; returns rows deleted.
Result<int64_t> PruneTraffic(store::Store& store, const TrafficRetention& retention,
                             int64_t now_ms);

// Runs PruneTraffic when made and every `every_ms` after, on a thread of its own, until it is
// destroyed; failures are logged and retried at the next round.
class TrafficRetentionLoop {
 public:
  TrafficRetentionLoop(store::Store& store, TrafficRetention retention,
                       int64_t every_ms = 3'600'000);

 private:
  void PruneOnce();

  store::Store& store_;
  TrafficRetention retention_;
  PeriodicTask task_;  // last
};

}  // namespace portatlas::inventory

#endif  // PORTATLAS_INVENTORY_TRAFFIC_H_
