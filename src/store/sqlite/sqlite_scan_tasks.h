// SQL of the scan tasks and their records (schema 3), shared by SqliteStore's writer
// transaction and its readers. Each function runs on the connection it is given, inside
// whatever transaction that connection has open.
#ifndef PORTATLAS_STORE_SQLITE_SQLITE_SCAN_TASKS_H_
#define PORTATLAS_STORE_SQLITE_SQLITE_SCAN_TASKS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/records.h"
#include "store/sqlite/sqlite_db.h"

namespace portatlas::store {

// The sort key of an address in scan_records: a family byte (4 or 6), then the address bytes,
// so that byte order is numeric order with IPv4 first.
std::string IpSortKey(const IpAddr& ip);
// The address of a key made by IpSortKey; nullopt for anything else.
std::optional<IpAddr> IpFromSortKey(std::string_view key);

// The columns ReadScanTask and ReadScanRecord read, in their order (for SELECT lists).
inline constexpr const char* kScanTaskColumns =
    "id, project, name, kind, status, targets, ports, probes_done, probes_total, record_count, "
    "open_count, created_at, updated_at, finished_at, error";
inline constexpr const char* kScanRecordColumns =
    "ip_key, proto, port, state, reason, reason_ttl, updated_at, service, product, version, info, "
    "cpe, tls, banner_hash";

// The task of the current row of a statement that selected kScanTaskColumns first.
ScanTaskRow ReadScanTask(const Stmt& s);
// The record of the current row of a statement that selected kScanRecordColumns first;
// kInternal naming `task_id` when its key is damaged.
Result<ScanRecordRow> ReadScanRecord(const Stmt& s, int64_t task_id);

// A read transaction on a reader connection, so that several statements see one snapshot.
// Begin() opens it; the destructor resets the connection's statements and ends it.
class ReadTransaction {
 public:
  explicit ReadTransaction(SqliteDb& db) : db_(db) {}
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  Status Begin();

 private:
  SqliteDb& db_;
  bool open_ = false;
};

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

#endif  // PORTATLAS_STORE_SQLITE_SQLITE_SCAN_TASKS_H_
