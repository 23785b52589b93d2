#include "api/auth/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <climits>

#include "core/check.h"

namespace portatlas::api::auth {
namespace {

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0F]);
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  PA_CHECK(EVP_Digest(data.data(), data.size(), md, &md_len, EVP_sha256(), nullptr) == 1)
      << "EVP_Digest(SHA-256) failed";
  return Hex(md, md_len);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  PA_CHECK(key.size() <= INT_MAX) << "HMAC key too long";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  PA_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), md,
                &md_len) != nullptr)
      << "HMAC-SHA256 failed";
  return Hex(md, md_len);
}

std::string HmacSha1(std::string_view key, std::string_view data) {
  PA_CHECK(key.size() <= INT_MAX) << "HMAC key too long";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  PA_CHECK(HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), md,
                &md_len) != nullptr)
      << "HMAC-SHA1 failed";
  return std::string(reinterpret_cast<const char*>(md), md_len);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void RandomBytes(std::span<unsigned char> out) {
  // RAND_bytes takes an int; request in chunks so any span size works.
  while (!out.empty()) {
    const size_t n = out.size() < (1u << 20) ? out.size() : (1u << 20);
    PA_CHECK(RAND_bytes(out.data(), static_cast<int>(n)) == 1) << "RAND_bytes failed";
    out = out.subspan(n);
  }
}

}  // namespace portatlas::api::auth
