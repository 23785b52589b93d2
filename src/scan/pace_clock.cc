#include "scan/pace_clock.h"

#include <thread>

namespace portatlas::scan {
namespace {

class SteadyClock final : public PaceClock {
 public:
  Duration Now() override {
    return std::chrono::duration_cast<Duration>(
        std::chrono::steady_clock::now().time_since_epoch());
  }
  void SleepUntil(Duration t) override {
    std::this_thread::sleep_until(std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(t)));
  }
};

}  // namespace

PaceClock& SteadyPaceClock() {
  static SteadyClock clock;
  return clock;
}

}  // namespace portatlas::scan
