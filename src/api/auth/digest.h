// Hashing, MACs, comparison and randomness for the auth library (OpenSSL underneath).
// All functions are thread-safe.
#ifndef PORTATLAS_API_AUTH_DIGEST_H_
#define PORTATLAS_API_AUTH_DIGEST_H_

#include <span>
#include <string>
#include <string_view>

namespace portatlas::api::auth {

// Lower-case hex of SHA-256(data): 64 characters.
std::string Sha256Hex(std::string_view data);

// Lower-case hex of HMAC-SHA256 with `key` taken as raw bytes: 64 characters.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// The raw 20 bytes of HMAC-SHA1 with `key` taken as raw bytes (Alibaba signature V1).
std::string HmacSha1(std::string_view key, std::string_view data);

// True when `a` and `b` hold the same bytes. The time taken depends only on the lengths, never
// on where the contents differ (CRYPTO_memcmp); unequal lengths return false at once, so compare
// values whose length is not secret (hashes, hex signatures).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Fills `out` from OpenSSL's CSPRNG (RAND_bytes). Aborts when the generator fails: nothing
// here can go on without randomness.
void RandomBytes(std::span<unsigned char> out);

}  // namespace portatlas::api::auth

#endif  // PORTATLAS_API_AUTH_DIGEST_H_
