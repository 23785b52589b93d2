// FakeClock: a Clock for tests. Time moves only when the code under test sleeps or the test
// calls Advance; SleepUntil records each wait and reports a stop once asked to wait past the
// time given to StopAt.
#ifndef PORTATLAS_AGENT_FAKE_CLOCK_H_
#define PORTATLAS_AGENT_FAKE_CLOCK_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "agent/clock.h"

namespace portatlas::agent {

class FakeClock final : public Clock {
 public:
  static constexpr int64_t kWallBaseMs = 1'700'000'000'000;

  int64_t SteadyMs() override { return now_ms_; }
  int64_t WallMs() override { return kWallBaseMs + now_ms_; }
  bool SleepUntil(int64_t deadline_ms) override {
    sleeps_ms_.push_back(std::max<int64_t>(deadline_ms - now_ms_, 0));
    if (deadline_ms > stop_at_ms_) {
      now_ms_ = std::max(now_ms_, stop_at_ms_);
      return false;
    }
    now_ms_ = std::max(now_ms_, deadline_ms);
    return true;
  }

  void Advance(int64_t ms) { now_ms_ += ms; }
  void StopAt(int64_t ms) { stop_at_ms_ = ms; }
  // How long each SleepUntil call asked to wait, in order.
  const std::vector<int64_t>& sleeps_ms() const { return sleeps_ms_; }

 private:
  int64_t now_ms_ = 0;
  int64_t stop_at_ms_ = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> sleeps_ms_;
};

}  // namespace portatlas::agent

#endif  // PORTATLAS_AGENT_FAKE_CLOCK_H_
