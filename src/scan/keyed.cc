#include "scan/keyed.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "core/check.h"
#include "core/hash.h"

namespace portatlas::scan {

ProbeKey::ProbeKey(uint64_t seed) : seed_(seed) {
  uint8_t in[24] = "portatlas-probe-key";
  for (int i = 0; i < 8; ++i) in[16 + i] = static_cast<uint8_t>(seed >> (8 * i));
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(in, sizeof in, digest);
  std::memcpy(aes_key_.data(), digest, 16);
  for (size_t i = 0; i < 4; ++i) {
    uint64_t k = 0;
    std::memcpy(&k, digest + 16 + 4 * i, 4);
    round_keys_[i] = Mix64(k ^ (seed + i));
  }
}

uint64_t ProbeKey::RandomSeed() {
  uint64_t seed = 0;
  ssize_t n = -1;
  do {
    n = getrandom(&seed, sizeof seed, 0);
  } while (n < 0 && errno == EINTR);
  // Eight bytes from a blocking getrandom() cannot fail on a kernel we run on (3.17 and later).
  PA_CHECK(n == static_cast<ssize_t>(sizeof seed)) << "getrandom: " << std::strerror(errno);
  return seed;
}

CookieHasher::CookieHasher(const ProbeKey& key) : ctx_(EVP_CIPHER_CTX_new()) {
  // AES-128 is in every OpenSSL build; without it (or out of memory here) nothing can go on.
  PA_CHECK(ctx_ != nullptr &&
           EVP_EncryptInit_ex(ctx_, EVP_aes_128_ecb(), nullptr, key.aes_key().data(), nullptr) == 1)
      << "AES-128 is not available from OpenSSL";
  EVP_CIPHER_CTX_set_padding(ctx_, 0);
}

CookieHasher::~CookieHasher() { EVP_CIPHER_CTX_free(ctx_); }

uint64_t CookieHasher::Hash(const IpAddr& dst, uint16_t port, Proto proto) {
  uint8_t block[16];
  uint8_t out[16];
  int len = 0;
  std::memcpy(block, dst.bytes.data(), 16);
  if (dst.family == Family::kIpv4) std::memset(block + 4, 0, 12);
  EVP_EncryptUpdate(ctx_, out, &len, block, 16);
  out[0] ^= static_cast<uint8_t>(port >> 8);
  out[1] ^= static_cast<uint8_t>(port);
  out[2] ^= static_cast<uint8_t>(proto == Proto::kTcp ? 6 : 17);
  out[3] ^= static_cast<uint8_t>(dst.family == Family::kIpv4 ? 4 : 6);
  EVP_EncryptUpdate(ctx_, block, &len, out, 16);
  uint64_t h = 0;
  std::memcpy(&h, block, 8);
  return h;
}

Permutation::Permutation(uint64_t n, const ProbeKey& key) : n_(n), keys_(key.round_keys()) {
  int bits = 2;
  while (bits < 64 && (uint64_t{1} << bits) < n) bits += 2;
  half_bits_ = bits / 2;
  half_mask_ = (uint64_t{1} << half_bits_) - 1;
}

uint64_t Permutation::Feistel(uint64_t x) const {
  uint64_t left = x >> half_bits_;
  uint64_t right = x & half_mask_;
  for (uint64_t k : keys_) {
    const uint64_t next = left ^ (Mix64(right ^ k) & half_mask_);
    left = right;
    right = next;
  }
  return left << half_bits_ | right;
}

uint64_t Permutation::operator()(uint64_t i) const {
  uint64_t x = Feistel(i);
  while (x >= n_) x = Feistel(x);  // cycle walking: stays a bijection of [0, n)
  return x;
}

}  // namespace portatlas::scan
