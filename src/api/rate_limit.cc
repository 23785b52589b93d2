#include "api/rate_limit.h"

#include <algorithm>

namespace portatlas::api {

RateLimiter::RateLimiter(double rate_per_s, double burst, NowMs now_ms, size_t max_keys)
    : rate_per_ms_(rate_per_s / 1000.0),
      burst_(burst),
      now_ms_(std::move(now_ms)),
      max_keys_(std::max<size_t>(1, max_keys)) {}

void RateLimiter::ForgetFull(int64_t now) {
  // A bucket full again is the same as no bucket.
  std::erase_if(buckets_, [&](const auto& kv) {
    return kv.second.tokens + static_cast<double>(now - kv.second.at_ms) * rate_per_ms_ >= burst_;
  });
  last_sweep_ms_ = now;
}

bool RateLimiter::Allow(std::string_view key) {
  const int64_t now = now_ms_();
  std::lock_guard<std::mutex> lock(mu_);
  if (now - last_sweep_ms_ > 10'000 || buckets_.size() >= max_keys_) ForgetFull(now);
  if (buckets_.size() >= max_keys_) {  // all active: drop the stalest
    auto stalest = std::min_element(
        buckets_.begin(), buckets_.end(),
        [](const auto& a, const auto& b) { return a.second.at_ms < b.second.at_ms; });
    buckets_.erase(stalest);
  }
  auto [it, fresh] = buckets_.try_emplace(std::string(key), Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now - b.at_ms) * rate_per_ms_);
    b.at_ms = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

size_t RateLimiter::keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

}  // namespace portatlas::api
