// PaceClock: the time the raw engine paces its sending and waits for replies by. The steady
// clock in a scan; a fake in tests, so pacing is checked by arithmetic instead of by timing.
#ifndef PORTATLAS_SCAN_PACE_CLOCK_H_
#define PORTATLAS_SCAN_PACE_CLOCK_H_

#include <chrono>

namespace portatlas::scan {

class PaceClock {
 public:
  using Duration = std::chrono::nanoseconds;
  virtual ~PaceClock() = default;
  // Time since an arbitrary start; never goes back. Thread-safe.
  virtual Duration Now() = 0;
  // Returns at `t` or later. Thread-safe.
  virtual void SleepUntil(Duration t) = 0;
  void SleepFor(Duration d) { SleepUntil(Now() + d); }
};

// std::chrono::steady_clock and std::this_thread::sleep_until.
PaceClock& SteadyPaceClock();

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_PACE_CLOCK_H_
