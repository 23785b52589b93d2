// TrafficShipper: the collector's batches to the server (POST /v1/ingest/traffic), exactly
// once, across server outages and collector restarts.
//
// Each batch is named (collector id, batch number) and spooled to
// STATE_DIR/spool/NNNNNNNNNNNNNNNNNNNN.json (written to a temporary file, synced, renamed, the
// directory synced) before Enqueue returns; the batch number comes from STATE_DIR/next-batch,
// synced before the batch is written, so a number is never used twice. A background thread
// sends the spooled batches in order and deletes each one the server acknowledges (applied or
// a duplicate: the server applies a name once, so a batch whose answer was lost is sent again
// without being counted twice). The collector id is made once (STATE_DIR/collector-id, random).
// A restarted collector resends whatever its spool holds.
//
// Failures: no answer, 408, 429 and 5xx are retried with jittered exponential backoff; a 400 or
// 413 (the batch itself is refused) moves the batch to STATE_DIR/spool/refused/ and goes on;
// other answers (401, 403, 404: a configuration the operator must fix) are retried at the
// backoff's cap, keeping everything. Past max_spool_bytes new batches are refused (Enqueue
// returns kUnavailable) and counted, never the oldest dropped.
//
// Thread-safety: Enqueue, stats and WaitIdle may be called from any thread.
#ifndef PORTATLAS_FLOW_SHIPPER_H_
#define PORTATLAS_FLOW_SHIPPER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/traffic_record.h"
#include "net/http_client.h"

namespace portatlas::flow {

struct ShipperOptions {
  std::string state_dir;
  int64_t backoff_initial_ms = 250;
  int64_t backoff_cap_ms = 30'000;
  uint64_t max_spool_bytes = uint64_t{1} << 30;
  size_t records_per_batch = 5000;  // the server takes up to 10,000
};

struct ShipperStats {
  uint64_t batches_spooled = 0;  // by this process
  uint64_t batches_acked = 0;    // applied by the server
  uint64_t duplicates = 0;       // acknowledged as sent before
  uint64_t refused = 0;          // moved to spool/refused
  uint64_t send_failures = 0;    // attempts that will be retried
  uint64_t over_capacity = 0;    // batches Enqueue refused past max_spool_bytes
  uint64_t spool_files = 0;      // now
  uint64_t spool_bytes = 0;      // now
};

class TrafficShipper {
 public:
  // Sends one batch body; the production one is an HttpClient's POST /v1/ingest/traffic.
  using Post = std::function<net::HttpReply(std::string_view body)>;

  // Creates STATE_DIR (and spool/) when missing, reads or makes the collector id, finds what the
  // spool holds, and starts sending. Errors: the state directory cannot be made or read.
  static Result<std::unique_ptr<TrafficShipper>> Open(ShipperOptions options, Post post);
  ~TrafficShipper();  // stops sending; the spool stays for the next start
  TrafficShipper(const TrafficShipper&) = delete;
  TrafficShipper& operator=(const TrafficShipper&) = delete;

  // Spools `records` as one or more batches. kIo when the spool cannot be written, kUnavailable
  // past max_spool_bytes.
  Status Enqueue(std::vector<TrafficRecord> records);
  // Waits until the spool is empty (everything acknowledged or refused), up to timeout_ms.
  bool WaitIdle(int64_t timeout_ms);

  ShipperStats stats() const;
  const std::string& collector_id() const { return collector_id_; }

 private:
  struct Spooled {
    uint64_t batch = 0;
    std::string path;
    uint64_t bytes = 0;
  };
  TrafficShipper(ShipperOptions options, Post post)
      : options_(std::move(options)), post_(std::move(post)) {}
  Status Load();
  Result<uint64_t> NextBatchNumber();
  void Run();
  // Sends the oldest spooled batch once; false when it must wait (a retry is due).
  bool SendOldest(const Spooled& s);

  ShipperOptions options_;
  Post post_;
  std::string collector_id_;
  std::string spool_dir_;
  uint64_t next_batch_ = 1;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Spooled> queue_;
  ShipperStats stats_;
  bool stopping_ = false;
  std::thread sender_;  // last: started after everything it reads
};

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_SHIPPER_H_
