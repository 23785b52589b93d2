// Scan targets: which addresses a scan may touch and which it is asked to touch.
//
// A TargetSet is a sorted set of disjoint inclusive address ranges per family. Target
// specifications (nmap's forms) parse into one; the allow-list is one too, and a scan starts only
// when the allow-list covers every target (checked before any packet is sent).
//
//   198.18.0.7            one address            2001:2::5          one IPv6 address
//   198.18.0.0/24         a CIDR block (host bits ignored, as nmap does)   2001:2::/120
//   198.18.0.1-8          a range in the last octet
//   198.18.0.1-198.18.1.9 a range between two addresses of one family (IPv4 or IPv6)
//   localhost             a host name: its first address from the resolver
#ifndef PORTATLAS_SCAN_TARGETS_H_
#define PORTATLAS_SCAN_TARGETS_H_

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace portatlas::scan {

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

class TargetSet {
 public:
  // The most addresses one set may hold (a scan of more is refused as a likely typo).
  static constexpr uint64_t kMaxAddresses = uint64_t{1} << 32;

  void Add(const AddrRange& r);
  void Subtract(const AddrRange& r);
  void Add(const TargetSet& other);
  void Subtract(const TargetSet& other);
  bool Contains(const IpAddr& a) const;
  // True when every address of `other` is in this set.
  bool Covers(const TargetSet& other) const;
  // The first range of `other` (clipped) that this set does not cover, if any.
  std::optional<AddrRange> FirstUncovered(const TargetSet& other) const;
  // Number of addresses, saturating at UINT64_MAX.
  uint64_t Size() const;
  bool Empty() const { return ranges_.empty(); }
  // The i-th address in order (IPv4 first, then IPv6); i < Size().
  IpAddr At(uint64_t i) const;
  const std::vector<AddrRange>& ranges() const { return ranges_; }

 private:
  std::vector<AddrRange> ranges_;  // sorted by (family, lo), disjoint, not adjacent
};

// Random access into a TargetSet in O(log ranges): the i-th address and an address's position,
// for scanners that walk the (address, port) space in a keyed order. Holds a copy of the ranges.
class TargetIndex {
 public:
  explicit TargetIndex(const TargetSet& set);
  uint64_t size() const { return size_; }
  IpAddr At(uint64_t i) const;  // i < size()
  std::optional<uint64_t> IndexOf(const IpAddr& a) const;

 private:
  std::vector<AddrRange> ranges_;
  std::vector<uint64_t> starts_;  // index of each range's first address
  uint64_t size_ = 0;
};

// Resolves a host name to its addresses (first is used); an error when it does not resolve.
using Resolver = std::function<Result<std::vector<IpAddr>>(const std::string& name)>;
// The system resolver (getaddrinfo).
Result<std::vector<IpAddr>> SystemResolve(const std::string& name);

// Parses one specification into a range. kInvalidArgument names the spec and what is wrong.
Result<AddrRange> ParseTargetSpec(std::string_view spec, const Resolver& resolve);
// Parses every spec (each may also be a comma-separated list) into one set; more than
// `max_addresses` is refused (an allow-list or exclusion passes UINT64_MAX: no limit).
Result<TargetSet> ParseTargets(const std::vector<std::string>& specs, const Resolver& resolve,
                               uint64_t max_addresses = TargetSet::kMaxAddresses);
// The specifications of an -iL file: whitespace-separated, '#' to the end of a line a comment.
std::vector<std::string> SplitTargetList(std::string_view text);

// "198.18.0.1-198.18.0.8" (or one address when lo == hi).
std::string RangeToString(const AddrRange& r);

// The default allow-list: 127.0.0.0/8 and ::1.
TargetSet LoopbackAllowList();

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_TARGETS_H_
