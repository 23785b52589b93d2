// SQL of the traffic view (schema 4), for SqliteStore's writer transaction and its readers.
// Each function runs on the connection it is given, inside whatever transaction it has open.
#ifndef PORTATLAS_STORE_SQLITE_SQLITE_TRAFFIC_H_
#define PORTATLAS_STORE_SQLITE_SQLITE_TRAFFIC_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/records.h"
#include "store/sqlite/sqlite_db.h"

namespace portatlas::store {

Result<bool> ClaimTrafficBatchRow(SqliteDb& db, std::string_view project,
                                  std::string_view collector, uint64_t batch, int64_t now_ms);
Result<std::optional<TrafficRecord>> SelectTraffic(SqliteDb& db, std::string_view project,
                                                   TrafficGranularity granularity,
                                                   const TrafficRecord& key);
Status UpsertTraffic(SqliteDb& db, std::string_view project, TrafficGranularity granularity,
                     const TrafficRecord& r);
Result<int64_t> DeleteOldTraffic(SqliteDb& db, int64_t hourly_before_ms, int64_t daily_before_ms,
                                 int64_t batches_before_ms);
Result<std::vector<TrafficRecord>> SelectTrafficRange(SqliteDb& db, const TrafficQuery& q);

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_SQLITE_SQLITE_TRAFFIC_H_
