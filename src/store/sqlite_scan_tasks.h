// SQL of the scan tasks and their records (schema 3), shared by SqliteStore's writer
// transaction and its readers. Each function runs on the connection it is given, inside
// whatever transaction that connection has open.
#ifndef PORTATLAS_STORE_SQLITE_SCAN_TASKS_H_
#define PORTATLAS_STORE_SQLITE_SCAN_TASKS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/records.h"
#include "store/sqlite_db.h"

namespace portatlas::store {

// The sort key of an address in scan_records: a family byte (4 or 6), then the address bytes,
// so that byte order is numeric order with IPv4 first.
std::string IpSortKey(const IpAddr& ip);
// The address of a key made by IpSortKey; nullopt for anything else.
std::optional<IpAddr> IpFromSortKey(std::string_view key);

// Inserts `t` (its id ignored); returns the new id.
Result<int64_t> InsertScanTask(SqliteDb& db, const ScanTaskRow& t);
// The task `id` of `project`, or nullopt.
Result<std::optional<ScanTaskRow>> SelectScanTask(SqliteDb& db, std::string_view project,
                                                  int64_t id);
// Writes the mutable fields of t.id; kNotFound when there is no such row.
Status UpdateScanTaskRow(SqliteDb& db, const ScanTaskRow& t);
// Inserts or replaces the records and keeps the task's counters (see StoreWriter).
Status UpsertScanRecords(SqliteDb& db, int64_t task_id, std::span<const ScanRecordRow> records,
                         int64_t now_ms);

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_SQLITE_SCAN_TASKS_H_
