// Keyed functions of the stateless scanner.
//
// ProbeKey: the scan's secret, derived from a 64-bit seed (kept in the --resume file, so a
// resumed scan recognises replies to the probes sent before the pause).
// CookieHasher: 64 keyed bits of (destination, port, protocol) with AES-128 (OpenSSL), two
// blocks chained as in CBC-MAC. A probe's TCP sequence number and source port come from it, and
// a reply is accepted only when it echoes them: without the key nobody can forge a reply that
// passes, and no per-probe state is kept. One hasher per thread (an OpenSSL context is not
// shareable).
// Permutation: a keyed bijection of [0, n), a 4-round Feistel network over the next even power
// of two with cycle walking, so probes go out in an order no one can predict and that spreads
// over hosts and ports, and `i` (the position in that order) is all that --resume needs.
#ifndef PORTATLAS_SCAN_KEYED_H_
#define PORTATLAS_SCAN_KEYED_H_

#include <array>
#include <cstdint>

#include "core/types.h"

struct evp_cipher_ctx_st;

namespace portatlas::scan {

class ProbeKey {
 public:
  explicit ProbeKey(uint64_t seed);
  // A fresh seed from the kernel's random source.
  static uint64_t RandomSeed();
  uint64_t seed() const { return seed_; }
  const std::array<uint8_t, 16>& aes_key() const { return aes_key_; }
  const std::array<uint64_t, 4>& round_keys() const { return round_keys_; }

 private:
  uint64_t seed_;
  std::array<uint8_t, 16> aes_key_{};
  std::array<uint64_t, 4> round_keys_{};
};

class CookieHasher {
 public:
  explicit CookieHasher(const ProbeKey& key);
  ~CookieHasher();
  CookieHasher(const CookieHasher&) = delete;
  CookieHasher& operator=(const CookieHasher&) = delete;

  uint64_t Hash(const IpAddr& dst, uint16_t port, Proto proto);

 private:
  evp_cipher_ctx_st* ctx_ = nullptr;
};

class Permutation {
 public:
  Permutation(uint64_t n, const ProbeKey& key);
  uint64_t size() const { return n_; }
  // The i-th element of the order, i < size().
  uint64_t operator()(uint64_t i) const;

 private:
  uint64_t Feistel(uint64_t x) const;
  uint64_t n_;
  int half_bits_ = 1;
  uint64_t half_mask_ = 1;
  std::array<uint64_t, 4> keys_{};
};

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_KEYED_H_
