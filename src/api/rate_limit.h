// RateLimiter: a token bucket per key (a credential), for the API families' documented QPS
// limits (Cloud Firewall's 10 requests per second per credential; issue 16 puts every family
// behind one). A key's bucket holds up to `burst` tokens and gains `rate_per_s` a second; a
// request takes one token or is refused. Buckets idle long enough to be full again are
// forgotten, so the table holds only the keys active in the last burst/rate seconds (and at
// most max_keys: past it, the stalest bucket is dropped, which can only let a request through
// that a full bucket would have let through too). Thread-safe.
#ifndef PORTATLAS_API_RATE_LIMIT_H_
#define PORTATLAS_API_RATE_LIMIT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace portatlas::api {

class RateLimiter {
 public:
  using NowMs = std::function<int64_t()>;  // a monotonic clock in ms
  RateLimiter(double rate_per_s, double burst, NowMs now_ms, size_t max_keys = 100'000);

  // Whether a request of `key` may go now (and takes its token if so).
  bool Allow(std::string_view key);
  size_t keys() const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t at_ms = 0;
  };
  void ForgetFull(int64_t now);

  double rate_per_ms_;
  double burst_;
  NowMs now_ms_;
  size_t max_keys_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  int64_t last_sweep_ms_ = 0;
};

}  // namespace portatlas::api

#endif  // PORTATLAS_API_RATE_LIMIT_H_
