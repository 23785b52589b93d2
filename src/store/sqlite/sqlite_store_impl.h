// SqliteStore: the embedded default store, one SQLite file in WAL mode.
//
// Layout (migrations.cc): a host is one row of `hosts` holding its whole port set
// (row_codec.h); each applied report's changes are one row of `events`. What needs every host
// at once (ListPortStatistics, ListPortHost's page, the port counts) is answered by a PortIndex
// kept in memory: built from `hosts` when the store opens, updated after each commit. Scan tasks
// are rows of `scan_tasks`, their records rows of `scan_records` (sqlite_scan_tasks.h).
//
// Durability: the writer connection runs with synchronous=FULL, so a committed transaction is on
// disk when Write() returns (it survives kill -9 and power loss). Checkpoints run on a thread
// of their own. One writer connection behind a
// mutex; reader connections are pooled, one per concurrent reader, and see committed data only.
#ifndef PORTATLAS_STORE_SQLITE_SQLITE_STORE_IMPL_H_
#define PORTATLAS_STORE_SQLITE_SQLITE_STORE_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/port_index.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace portatlas::store {

class SqliteStore final : public Store {
 public:
  // Opens or creates the database file at `path`, applies missing migrations and loads the
  // index. Fails on a damaged host row, naming it.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;

  Status Write(const std::function<Status(StoreWriter&)>& fn) override;
  bool MayRunWriteAgain() const override { return false; }  // one writer, no retries
  Result<QueryResult<PortHostRow>> ListPorts(const PortQuery& q) override;
  Result<QueryResult<PortStatRow>> ListPortStatistics(const PortStatQuery& q) override;
  Result<QueryResult<PortHostRow>> ListPortHosts(const PortHostQuery& q) override;
  Result<int64_t> CountPorts(const PortCountQuery& q) override;
  Result<std::vector<PortEvent>> ListEvents(std::string_view project, std::string_view host_id,
                                            int64_t since_ms, int limit) override;
  Result<std::optional<ScanTaskRow>> GetScanTask(std::string_view project, int64_t id) override;
  Result<QueryResult<ScanTaskRow>> ListScanTasks(std::string_view project,
                                                 PageRequest page) override;
  Result<QueryResult<ScanRecordRow>> ListScanRecords(std::string_view project, int64_t task_id,
                                                     PageRequest page) override;
  Result<QueryResult<ScanTaskRow>> FindScanTasks(const ScanTaskQuery& q) override;
  Result<QueryResult<ScanRecordRow>> ListScanOpenPorts(const ScanPortQuery& q) override;
  Result<QueryResult<ScanHostRow>> ListScanHosts(const ScanPortQuery& q) override;
  Result<ScanSurfaceCounts> CountScanSurface(std::string_view project, int64_t task_id) override;
  Result<QueryResult<ScanRecordRow>> ListProjectOpenPorts(const ProjectPortQuery& q) override;
  Result<std::vector<TrafficRecord>> ListTraffic(const TrafficQuery& q) override;
  Status PutCredential(const CredentialRow& c) override;
  Result<std::optional<CredentialRow>> FindToken(std::string_view token_hash) override;
  Result<std::optional<CredentialRow>> FindAccessKey(std::string_view access_key) override;
  Result<std::vector<CredentialRow>> ListCredentials() override;
  Status RevokeCredential(std::string_view id) override;

 private:
  // A reader connection on loan from the pool; returned on destruction.
  class Reader {
   public:
    Reader(SqliteStore* store, std::unique_ptr<SqliteDb> db) : store_(store), db_(std::move(db)) {}
    Reader(Reader&&) = default;
    ~Reader();
    SqliteDb& db() { return *db_; }

   private:
    SqliteStore* store_;
    std::unique_ptr<SqliteDb> db_;
  };

  SqliteStore(std::string path, std::unique_ptr<SqliteDb> writer)
      : path_(std::move(path)), writer_(std::move(writer)) {}
  static constexpr int kCheckpointPages = 1000;  // SQLite's default threshold
  static constexpr int kRestartPages = 16384;    // 64 MiB of WAL

  // Runs `read` (of the index, and maybe of rows) so that no commit lands between its start
  // and its end: a seqlock on the commits, retried while one is under way; after a few misses
  // the reader holds the next commit back until it has read (so neither side starves).
  template <typename Fn>
  auto Consistent(Fn&& read);

  Result<QueryResult<PortHostRow>> PortHostsPage(const PortHostQuery& q);
  Status LoadIndex();
  Status StartCheckpointer();
  void OnWalCommit(sqlite3* db, int pages);
  void CheckpointLoop();
  Result<Reader> AcquireReader();
  Result<std::optional<CredentialRow>> FindCredential(const char* where, std::string_view value);

  std::string path_;
  std::mutex write_mu_;
  std::unique_ptr<SqliteDb> writer_;
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteDb>> idle_readers_;
  PortIndex index_;
  // Commits begun (from just before COMMIT) and done (after the index has followed): a read is
  // consistent when none began between its start and its end.
  std::atomic<uint64_t> commits_begun_{0};
  std::atomic<uint64_t> commits_done_{0};
  // Readers that missed too often: while there is one, no commit begins.
  std::mutex starving_mu_;
  std::condition_variable starving_cv_;
  int starving_readers_ = 0;
  std::unique_ptr<SqliteDb> checkpoint_db_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool stopping_ = false;
  std::thread checkpointer_;  // last: stopped first
};

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_SQLITE_SQLITE_STORE_IMPL_H_
