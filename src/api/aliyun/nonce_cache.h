// NonceCache: the signature nonces of accepted requests, remembered for as long as a request
// carrying them would still pass the timestamp check, so that a replay inside that window is
// refused (SignatureNonceUsed). Nonces are scoped by access key: two callers may pick the same.
//
// Memory is bounded: an entry is 16 bytes of SHA-256 over (access key, nonce) plus its expiry,
// at most `capacity` entries; expired ones are dropped as new ones arrive. When every slot holds
// a live nonce, Use() answers kFull and remembers nothing, so the caller must refuse the request
// (accepting it would allow its replay). Thread-safe.
#ifndef PORTATLAS_API_ALIYUN_NONCE_CACHE_H_
#define PORTATLAS_API_ALIYUN_NONCE_CACHE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <queue>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace portatlas::api::aliyun {

class NonceCache {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  // 262,144 entries (about 20 MiB at most): with 15-minute expiries, ~290 requests/s sustained.
  static constexpr size_t kDefaultCapacity = size_t{1} << 18;

  explicit NonceCache(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  enum class Outcome { kFresh, kReplayed, kFull };

  // Drops the entries whose expiry is before `now`, then records (access_key, nonce) until
  // `expires`: kFresh. kReplayed (nothing changes) when that pair is remembered already;
  // kFull when `capacity` live entries leave no room.
  Outcome Use(std::string_view access_key, std::string_view nonce, TimePoint now,
              TimePoint expires);

  size_t size() const;

 private:
  struct Key {
    uint64_t hi = 0;
    uint64_t lo = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return static_cast<size_t>(k.hi ^ (k.lo * 31)); }
  };
  using Expiry = std::pair<TimePoint, Key>;
  struct Later {
    bool operator()(const Expiry& a, const Expiry& b) const { return a.first > b.first; }
  };

  static Key KeyOf(std::string_view access_key, std::string_view nonce);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_set<Key, KeyHash> live_;
  std::priority_queue<Expiry, std::vector<Expiry>, Later> by_expiry_;  // soonest on top
};

}  // namespace portatlas::api::aliyun

#endif  // PORTATLAS_API_ALIYUN_NONCE_CACHE_H_
