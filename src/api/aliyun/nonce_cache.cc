#include "api/aliyun/nonce_cache.h"

#include <fmt/format.h>

#include "api/auth/digest.h"
#include "core/text.h"

namespace portatlas::api::aliyun {

NonceCache::Key NonceCache::KeyOf(std::string_view access_key, std::string_view nonce) {
  // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
  const std::string hex =
      auth::Sha256Hex(fmt::format("{}:{}{}", access_key.size(), access_key, nonce));
  Key k;
  k.hi = *ParseHex(std::string_view(hex).substr(0, 16));
  k.lo = *ParseHex(std::string_view(hex).substr(16, 16));
  return k;
}

NonceCache::Outcome NonceCache::Use(std::string_view access_key, std::string_view nonce,
                                    TimePoint now, TimePoint expires) {
  const Key key = KeyOf(access_key, nonce);
  std::lock_guard lock(mu_);
  while (!by_expiry_.empty() && by_expiry_.top().first < now) {
    live_.erase(by_expiry_.top().second);
    by_expiry_.pop();
  }
  if (live_.contains(key)) return Outcome::kReplayed;
  if (live_.size() >= capacity_) return Outcome::kFull;
  live_.insert(key);
  by_expiry_.emplace(expires, key);
  return Outcome::kFresh;
}

size_t NonceCache::size() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

}  // namespace portatlas::api::aliyun
