// DistinctCount: how many distinct addresses (the traffic view's "distinct internet sources"),
// exact while small, then a HyperLogLog.
//
// Up to kExactLimit distinct values it keeps their 64-bit hashes and the count is exact (short
// of a 64-bit hash collision). Past that it becomes a HyperLogLog of 2^10 one-byte registers
// (Flajolet et al. 2007, with linear counting for the small range): a relative standard error
// of 1.04/sqrt(1024) = 3.25%, so 95% of estimates fall within 6.5% of the truth, in 1 KiB.
// Merging is exact for a union (max of registers), so counts of hours add up to a day's.
//
// Serialize/Parse give a text form for the wire and the store: "" for none, "e:" and 16 hex
// digits per hash, or "h:" and 2048 hex digits of registers. Not thread-safe.
#ifndef PORTATLAS_CORE_DISTINCT_COUNT_H_
#define PORTATLAS_CORE_DISTINCT_COUNT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace portatlas {

class DistinctCount {
 public:
  static constexpr size_t kExactLimit = 64;
  static constexpr int kPrecision = 10;
  static constexpr size_t kRegisters = size_t{1} << kPrecision;

  void Add(const IpAddr& addr) { AddHash(HashAddr(addr)); }
  void AddHash(uint64_t hash);
  void Merge(const DistinctCount& other);
  // The count: exact while exact(), else the estimate rounded.
  uint64_t Estimate() const;
  bool exact() const { return registers_.empty(); }

  std::string Serialize() const;
  // kParse for text that is not a form Serialize writes (bad prefix, length or digits, more
  // than kExactLimit hashes).
  static Result<DistinctCount> Parse(std::string_view text);

  static uint64_t HashAddr(const IpAddr& addr);

 private:
  void ToRegisters();
  void AddToRegisters(uint64_t hash);

  std::vector<uint64_t> exact_;     // sorted, distinct; while registers_ is empty
  std::vector<uint8_t> registers_;  // kRegisters once past kExactLimit
};

}  // namespace portatlas

#endif  // PORTATLAS_CORE_DISTINCT_COUNT_H_
