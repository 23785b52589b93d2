// ListenerFeed: the inventory's known listeners (GET /v1/listeners) for the aggregators' first
// server-side rule (classify.h), fetched when made and every interval after on a thread of its
// own. A failed fetch keeps the last set (and is logged); until the first one succeeds the set
// is empty and the port rules decide.
#ifndef PORTATLAS_FLOW_LISTENER_FEED_H_
#define PORTATLAS_FLOW_LISTENER_FEED_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "core/periodic.h"
#include "core/status.h"
#include "flow/classify.h"
#include "net/http_client.h"

namespace portatlas::flow {

class ListenerFeed {
 public:
  using Get = std::function<net::HttpReply()>;
  ListenerFeed(Get get, int64_t interval_ms);
  ListenerFeed(const ListenerFeed&) = delete;
  ListenerFeed& operator=(const ListenerFeed&) = delete;

  // The set of the last successful fetch. Thread-safe.
  std::shared_ptr<const ListenerSet> Current() const;
  // Successful fetches so far.
  uint64_t fetches() const;

  // The endpoint's answer as a set; kParse for anything else.
  static Result<std::shared_ptr<ListenerSet>> Parse(std::string_view body);

 private:
  void FetchOnce();

  Get get_;
  mutable std::mutex mu_;
  std::shared_ptr<const ListenerSet> current_;
  uint64_t fetches_ = 0;
  PeriodicTask task_;  // last: started after everything it reads
};

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_LISTENER_FEED_H_
