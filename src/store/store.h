// Store: where the inventory lives. The domain (src/inventory) and the API talk to this
// interface only; SQL stays behind it. Implementations: SqliteStore (embedded, the default);
// PostgreSQL later. Every implementation passes the conformance suite (store_conformance.h).
//
// The contract (what a second implementation must do alike):
//
// Durability and transactions. Write(fn) runs fn in one serialisable transaction; when fn
// returns OK the transaction is durably committed before Write returns, otherwise nothing of
// it remains. A store may run fn more than once (a PostgreSQL serialisation failure is
// retried): fn must compute everything from what it reads through the StoreWriter and from
// inputs it does not consume (unless MayRunWriteAgain() is false), and must reset whatever it
// reports to its caller at its start.
// Only the last run's effects and report count.
//
// Thread-safety and consistency. Every method may be called from any thread. Writers are
// serialised. A read sees a committed state and never a part of a transaction: a query that
// combines the aggregates with rows (ListPortHosts) reads both from the same commit, so its page
// and total agree (SqliteStore retries such a read while a commit lands).
//
// Matching. host_name and host_ip filters are byte substrings, case-sensitive. The scan-task
// searches (ScanTaskQuery, ProjectPortQuery) are substrings matched case-insensitively for
// ASCII letters only, other bytes exactly; '%', '_' and '\' match themselves. Enterprise
// projects filter by exact name; `eps` lists the ones a query may see.
//
// Order (every query's rows, so that pages tile):
//   ListPorts            (port, type, laddr, netns) ascending; total = matches on that host.
//   ListPortStatistics   (port, type) ascending, or descending when asked; num = hosts (or
//                        containers) with it open in the visible scopes; status the most severe.
//   ListPortHosts        type (SockType order), then host in the order hosts were first stored,
//                        then the host's records in PortKey order; total = matching records.
//   ListEvents           oldest first (commit order).
//   scan tasks           newest first (id descending); their records by (ip, proto, port),
//                        addresses numerically, IPv4 before IPv6.
//   ListTraffic          (ip, proto, port, bucket), addresses as for scan records.
//
// Traffic. A record is identified by (project, granularity, ip, proto, port, bucket). Counters
// are stored up to INT64_MAX (beyond, they stay there). A traffic batch's name (project,
// collector, batch) is claimed at most once: ClaimTrafficBatch in the same transaction as the
// batch's records is what makes a delivery count once however often it is sent.
// A page past the end is empty with the right total.
#ifndef PORTATLAS_STORE_STORE_H_
#define PORTATLAS_STORE_STORE_H_

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace portatlas::store {

// The operations available inside one write transaction.
class StoreWriter {
 public:
  virtual ~StoreWriter() = default;
  // The host as this transaction sees it (including its own earlier writes), or nullopt.
  virtual Result<std::optional<StoredHost>> GetHost(std::string_view project,
                                                    std::string_view host_id) = 0;
  // Replaces the host's row and its whole port set, inserting it when new. `ports` must be
  // sorted by key, each with the host's project, host_id and eps. `events` (may be empty) are
  // this change's history, appended as one entry at the first event's time.
  virtual Status PutHost(const HostRow& host, std::vector<PortRow> ports,
                         std::span<const PortEvent> events) = 0;

  // Scan tasks (docs/scan-tasks.md).
  // Stores a new task (its id field is ignored) and returns the id assigned to it.
  virtual Result<int64_t> CreateScanTask(const ScanTaskRow& task) = 0;
  // The task with this id if it belongs to `project` (as this transaction sees it), or nullopt.
  virtual Result<std::optional<ScanTaskRow>> GetScanTask(std::string_view project, int64_t id) = 0;
  // Writes the mutable fields of task.id: status, probes_done, probes_total, updated_ms,
  // finished_ms and error. kNotFound when there is no such task.
  virtual Status UpdateScanTask(const ScanTaskRow& task) = 0;
  // Inserts each record into the task, replacing the one with the same (ip, proto, port), in
  // order (the last of duplicates wins); keeps the task's record_count and open_count and sets
  // its updated_ms to now_ms. Precondition: the task exists.
  virtual Status PutScanRecords(int64_t task_id, std::span<const ScanRecordRow> records,
                                int64_t now_ms) = 0;

  // Traffic (docs/traffic.md).
  // Claims the name of one collector batch: true when it was not claimed before (the caller
  // then stores the batch), false when it was (a resend; nothing is to be stored).
  virtual Result<bool> ClaimTrafficBatch(std::string_view project, std::string_view collector,
                                         uint64_t batch, int64_t now_ms) = 0;
  // The stored record with key's (ip, proto, port, bucket_ms), or nullopt.
  virtual Result<std::optional<TrafficRecord>> GetTraffic(std::string_view project,
                                                          TrafficGranularity granularity,
                                                          const TrafficRecord& key) = 0;
  // Inserts the record, or replaces the one with its key.
  virtual Status PutTraffic(std::string_view project, TrafficGranularity granularity,
                            const TrafficRecord& record) = 0;
  // Deletes, in every project, hourly records whose bucket starts before hourly_before_ms,
  // daily ones before daily_before_ms, and batch names claimed before batches_before_ms.
  // Returns the number of rows deleted.
  virtual Result<int64_t> PruneTraffic(int64_t hourly_before_ms, int64_t daily_before_ms,
                                       int64_t batches_before_ms) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in one transaction. When fn returns OK the transaction is committed durably
  // before Write returns (an acknowledged write survives a crash); otherwise it is rolled back
  // and fn's error returned. kUnavailable when the store cannot commit.
  virtual Status Write(const std::function<Status(StoreWriter&)>& fn) = 0;
  // Whether Write may run its callback more than once. A caller may consume its inputs in the
  // callback only when this is false.
  virtual bool MayRunWriteAgain() const { return true; }

  virtual Result<QueryResult<PortHostRow>> ListPorts(const PortQuery& q) = 0;
  virtual Result<QueryResult<PortStatRow>> ListPortStatistics(const PortStatQuery& q) = 0;
  virtual Result<QueryResult<PortHostRow>> ListPortHosts(const PortHostQuery& q) = 0;
  virtual Result<int64_t> CountPorts(const PortCountQuery& q) = 0;
  // Events of a host (or every host when host_id is ""), oldest first, at or after since_ms.
  virtual Result<std::vector<PortEvent>> ListEvents(std::string_view project,
                                                    std::string_view host_id, int64_t since_ms,
                                                    int limit) = 0;

  // The task with this id if it belongs to `project`, or nullopt.
  virtual Result<std::optional<ScanTaskRow>> GetScanTask(std::string_view project, int64_t id) = 0;
  // The project's tasks, newest first; total counts all of them.
  virtual Result<QueryResult<ScanTaskRow>> ListScanTasks(std::string_view project,
                                                         PageRequest page) = 0;
  // A page of a task's records ordered by (ip, proto, port), where addresses order numerically
  // and IPv4 before IPv6; total is the task's record_count, read in the same snapshot.
  // kNotFound when `project` has no such task.
  virtual Result<QueryResult<ScanRecordRow>> ListScanRecords(std::string_view project,
                                                             int64_t task_id, PageRequest page) = 0;

  // The project's tasks matching q, newest first; total counts every match.
  virtual Result<QueryResult<ScanTaskRow>> FindScanTasks(const ScanTaskQuery& q) = 0;
  // A page of a task's open records (optionally of one address) in the order of
  // ListScanRecords; total counts every match. kNotFound when q.project has no such task.
  virtual Result<QueryResult<ScanRecordRow>> ListScanOpenPorts(const ScanPortQuery& q) = 0;
  // A page of the addresses with open records in a task (optionally only q.ip), in address
  // order; total counts every such address. kNotFound when q.project has no such task.
  virtual Result<QueryResult<ScanHostRow>> ListScanHosts(const ScanPortQuery& q) = 0;
  // The task's open records and their distinct addresses, read in one snapshot. kNotFound when
  // `project` has no such task.
  virtual Result<ScanSurfaceCounts> CountScanSurface(std::string_view project, int64_t task_id) = 0;
  // A page of the project's current open ports (see ProjectPortQuery) in the order of
  // ListScanRecords; total counts every match.
  virtual Result<QueryResult<ScanRecordRow>> ListProjectOpenPorts(const ProjectPortQuery& q) = 0;

  // The traffic records matching q, in (ip, proto, port, bucket) order, at most q.limit.
  virtual Result<std::vector<TrafficRecord>> ListTraffic(const TrafficQuery& q) = 0;

  virtual Status PutCredential(const CredentialRow& c) = 0;
  // The live (not revoked) credential, or nullopt.
  virtual Result<std::optional<CredentialRow>> FindToken(std::string_view token_hash) = 0;
  virtual Result<std::optional<CredentialRow>> FindAccessKey(std::string_view access_key) = 0;
  virtual Result<std::vector<CredentialRow>> ListCredentials() = 0;
  // kNotFound when no credential has this id.
  virtual Status RevokeCredential(std::string_view id) = 0;
};

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_STORE_H_
