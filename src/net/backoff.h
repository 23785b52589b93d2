// Backoff: exponential retry delays with jitter, for reports the server did not take.
//
// Attempt n (counting from 0 after a Reset) has the base b = min(cap, initial * 2^n) and waits
// a delay drawn uniformly from [b/2, b) ("equal jitter": agents that lost the same server drift
// apart instead of returning in lockstep, yet none retries sooner than half the schedule).
// Not thread-safe.
#ifndef PORTATLAS_NET_BACKOFF_H_
#define PORTATLAS_NET_BACKOFF_H_

#include <cstdint>
#include <functional>

namespace portatlas::net {

class Backoff {
 public:
  // `uniform01` returns numbers in [0, 1). Requires 2 <= initial_ms <= cap_ms.
  Backoff(int64_t initial_ms, int64_t cap_ms, std::function<double()> uniform01);

  // The delay before the next attempt, in milliseconds; advances the schedule.
  int64_t NextDelayMs();
  // Back to the first delay (after a success).
  void Reset() { attempt_ = 0; }

  int attempt() const { return attempt_; }
  int64_t cap_ms() const { return cap_ms_; }

 private:
  int64_t initial_ms_;
  int64_t cap_ms_;
  std::function<double()> uniform01_;
  int attempt_ = 0;
};

// A [0, 1) source seeded from the operating system's randomness.
std::function<double()> SystemUniform01();

}  // namespace portatlas::net

#endif  // PORTATLAS_NET_BACKOFF_H_
