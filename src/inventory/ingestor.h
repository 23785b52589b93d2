// Ingestor: applies agent snapshots to the store with group commit.
//
// Callers on any thread hand in snapshots and block until they are committed. Each caller
// prepares its own snapshots (names, statuses, merged sockets) on its thread; one writer
// thread takes everything queued, applies it in a single store transaction (one durable sync
// for many reports) and wakes the callers. A report is acknowledged only after its commit, so
// an acknowledged report survives a crash. If the commit fails, every caller of that batch
// gets the error (kUnavailable) and nothing of the batch is stored.
#ifndef PORTATLAS_INVENTORY_INGESTOR_H_
#define PORTATLAS_INVENTORY_INGESTOR_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "inventory/risk_kb.h"
#include "inventory/services_db.h"
#include "inventory/snapshot.h"
#include "store/store.h"

namespace portatlas::inventory {

class Ingestor {
 public:
  // Borrows all three; they must outlive the Ingestor. Starts the writer thread.
  Ingestor(store::Store& store, const RiskKb& kb, const ServicesDb& services);
  // Drains what is queued, then stops the writer thread.
  ~Ingestor();
  Ingestor(const Ingestor&) = delete;
  Ingestor& operator=(const Ingestor&) = delete;

  // Thread-safe. Returns one result per snapshot, in order, once committed.
  Result<std::vector<IngestResult>> Ingest(std::vector<HostSnapshot> snapshots);

 private:
  struct Request {
    std::vector<PreparedSnapshot> snapshots;
    std::vector<IngestResult> results;
    Status status;
    bool done = false;
  };

  void WriterLoop();
  Status ApplyBatch(const std::vector<std::shared_ptr<Request>>& batch);

  store::Store& store_;
  const RiskKb& kb_;
  const ServicesDb& services_;
  std::mutex mu_;
  std::condition_variable queued_cv_;
  std::condition_variable done_cv_;
  std::deque<std::shared_ptr<Request>> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace portatlas::inventory

#endif  // PORTATLAS_INVENTORY_INGESTOR_H_
