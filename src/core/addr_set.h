// Address ranges and sets: IPv4 and IPv6 addresses as 128-bit numbers, inclusive ranges, and
// sorted sets of disjoint ranges per family (the scanner's targets and allow-list, the flow
// collector's internet and internal ranges). Value types; not thread-safe to mutate.
//
// ParseAddrRange reads the literal forms:
//   198.18.0.7            one address            2001:2::5          one IPv6 address
//   198.18.0.0/24         a CIDR block (host bits ignored, as nmap does)   2001:2::/120
//   198.18.0.1-8          a range in the last octet
//   198.18.0.1-198.18.1.9 a range between two addresses of one family (IPv4 or IPv6)
#ifndef PORTATLAS_CORE_ADDR_SET_H_
#define PORTATLAS_CORE_ADDR_SET_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace portatlas {

// An address as an unsigned 128-bit number (IPv4 in the low 32 bits).
struct Addr128 {
  uint64_t hi = 0;
  uint64_t lo = 0;
  auto operator<=>(const Addr128&) const = default;
};

Addr128 ToAddr128(const IpAddr& a);
IpAddr FromAddr128(Family f, Addr128 v);

struct AddrRange {
  Family family = Family::kIpv4;
  Addr128 lo;
  Addr128 hi;  // inclusive, lo <= hi
};

class AddrSet {
 public:
  // The most addresses one set may hold (a scan of more is refused as a likely typo).
  static constexpr uint64_t kMaxAddresses = uint64_t{1} << 32;

  void Add(const AddrRange& r);
  void Subtract(const AddrRange& r);
  void Add(const AddrSet& other);
  void Subtract(const AddrSet& other);
  bool Contains(const IpAddr& a) const;  // O(log ranges)
  // True when every address of `other` is in this set.
  bool Covers(const AddrSet& other) const;
  // The first range of `other` (clipped) that this set does not cover, if any.
  std::optional<AddrRange> FirstUncovered(const AddrSet& other) const;
  // Number of addresses, saturating at UINT64_MAX.
  uint64_t Size() const;
  bool Empty() const { return ranges_.empty(); }
  // The i-th address in order (IPv4 first, then IPv6); i < Size().
  IpAddr At(uint64_t i) const;
  const std::vector<AddrRange>& ranges() const { return ranges_; }

 private:
  std::vector<AddrRange> ranges_;  // sorted by (family, lo), disjoint, not adjacent
};

// hi - lo + 1 addresses, saturating at UINT64_MAX.
uint64_t RangeSize(const AddrRange& r);

// "198.18.0.1-198.18.0.8" (or one address when lo == hi).
std::string RangeToString(const AddrRange& r);

// One of the forms above; nullopt when `spec` is none of them (it may be a host name: the
// scanner resolves those). kInvalidArgument, saying what is wrong, for a form with a bad part (a
// prefix length out of range, ends of two families, a range that ends before it starts).
Result<std::optional<AddrRange>> ParseAddrRange(std::string_view spec);

}  // namespace portatlas

#endif  // PORTATLAS_CORE_ADDR_SET_H_
