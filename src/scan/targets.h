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

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/addr_set.h"
#include "core/status.h"
#include "core/types.h"

namespace portatlas::scan {

// The address types live in core (the flow collector uses them too).
using ::portatlas::Addr128;
using ::portatlas::AddrRange;
using ::portatlas::FromAddr128;
using ::portatlas::RangeToString;
using ::portatlas::ToAddr128;
using TargetSet = ::portatlas::AddrSet;

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

// The default allow-list: 127.0.0.0/8 and ::1.
TargetSet LoopbackAllowList();

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_TARGETS_H_
