#include "net/backoff.h"

#include <memory>
#include <random>
#include <utility>

#include "core/check.h"

namespace portatlas::net {

Backoff::Backoff(int64_t initial_ms, int64_t cap_ms, std::function<double()> uniform01)
    : initial_ms_(initial_ms), cap_ms_(cap_ms), uniform01_(std::move(uniform01)) {
  PA_CHECK(initial_ms_ >= 2 && initial_ms_ <= cap_ms_)
      << "bad backoff " << initial_ms_ << ".." << cap_ms_;
  PA_CHECK(uniform01_ != nullptr);
}

int64_t Backoff::NextDelayMs() {
  int64_t base = initial_ms_;
  for (int i = 0; i < attempt_ && base < cap_ms_; ++i) base *= 2;
  if (base > cap_ms_) base = cap_ms_;
  if (attempt_ < 64) ++attempt_;  // the base is capped long before; only stop the count
  double u = uniform01_();
  if (!(u >= 0.0)) u = 0.0;  // also catches NaN
  if (u >= 1.0) u = 0.0;
  const int64_t half = base / 2;
  return half + static_cast<int64_t>(static_cast<double>(base - half) * u);
}

std::function<double()> SystemUniform01() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine]() { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace portatlas::net
