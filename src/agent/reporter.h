// Reporter: the agent loop. It collects, sends, and retries what the server did not take.
//
// Transient failures (no answer, 408, 429, 5xx) are retried after Backoff delays. A permanent
// refusal (another 4xx) drops that report, logged, and is never resent. When a new collection
// is due while a report is still unsent, the new report replaces it: only the newest snapshot
// is ever pending, so a server that comes back gets the current state, not a backlog.
//
// Every delivery attempt logs one line through LogFn ("report host_id=... seq=... ports=...:
// <result>"). Not thread-safe; all dependencies are borrowed and must outlive the Reporter.
#ifndef PORTATLAS_AGENT_REPORTER_H_
#define PORTATLAS_AGENT_REPORTER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "agent/clock.h"
#include "agent/http_client.h"
#include "core/status.h"
#include "net/backoff.h"

namespace portatlas::agent {

// One collected snapshot, ready to send.
struct Report {
  std::string body;  // the JSON of docs/ingest.md
  std::string host_id;
  size_t ports = 0;
  uint64_t seq = 0;
};

// Runs the collector and builds a report; errors are logged and the collection is skipped.
using CollectFn = std::function<Result<Report>()>;
using LogFn = std::function<void(std::string_view)>;

class Reporter {
 public:
  Reporter(CollectFn collect, IngestTransport& transport, Clock& clock, net::Backoff backoff,
           LogFn log);

  // Collects once and delivers, retrying transient failures while less than retry_for_ms has
  // passed since the first attempt (0: a single attempt). OK once committed. Otherwise the
  // collector's error, kInvalidArgument/kUnauthenticated/kPermissionDenied for a permanent
  // refusal, or kUnavailable when the time ran out or a stop was requested, with a message
  // naming the last result.
  Status RunOnce(int64_t retry_for_ms);

  // Collects every interval_ms (the first time at once) and delivers as above, until the
  // clock reports a stop. Requires interval_ms > 0.
  void RunForever(int64_t interval_ms);

 private:
  // Sends `pending_` and logs the result. Committed or permanent: clears `pending_`. Transient:
  // sets `retry_at_ms_` to the next backoff time, capped at deadline_ms, or to nullopt when
  // deadline_ms has already passed.
  SendResult Attempt(int64_t deadline_ms);
  // Runs the collector; the report replaces any pending one.
  void CollectIntoPending();

  CollectFn collect_;
  IngestTransport& transport_;
  Clock& clock_;
  net::Backoff backoff_;
  LogFn log_;
  std::optional<Report> pending_;
  std::optional<int64_t> retry_at_ms_;  // when to send `pending_`
};

// Maps a permanent refusal to the Status RunOnce returns for it.
Status PermanentFailureStatus(const SendResult& result);

}  // namespace portatlas::agent

#endif  // PORTATLAS_AGENT_REPORTER_H_
