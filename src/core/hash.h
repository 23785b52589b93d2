// Small non-cryptographic hashing shared by the code base.
#ifndef PORTATLAS_CORE_HASH_H_
#define PORTATLAS_CORE_HASH_H_

#include <cstdint>

namespace portatlas {

// splitmix64's finaliser: a fast full-avalanche mix of 64 bits (every input bit reaches every
// output bit). Not keyed and not cryptographic.
constexpr uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

}  // namespace portatlas

#endif  // PORTATLAS_CORE_HASH_H_
