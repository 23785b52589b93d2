#include "core/addr_set.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/text.h"

namespace portatlas {
namespace {

Addr128 Inc(Addr128 v) {
  if (++v.lo == 0) ++v.hi;
  return v;
}
Addr128 Dec(Addr128 v) {
  if (v.lo-- == 0) --v.hi;
  return v;
}
Addr128 Max(Family f) {
  return f == Family::kIpv4 ? Addr128{0, 0xffffffffu} : Addr128{~uint64_t{0}, ~uint64_t{0}};
}

}  // namespace

uint64_t RangeSize(const AddrRange& r) {
  uint64_t hi = r.hi.hi - r.lo.hi;
  const uint64_t lo = r.hi.lo - r.lo.lo;
  if (r.hi.lo < r.lo.lo) --hi;  // borrow
  if (hi != 0 || lo == ~uint64_t{0}) return ~uint64_t{0};
  return lo + 1;
}

namespace {

bool Before(const AddrRange& a, const AddrRange& b) {
  return a.family != b.family ? a.family < b.family : a.lo < b.lo;
}

std::optional<int> ParseSmallInt(std::string_view s, int max) {
  auto v = ParseUint(s, static_cast<uint64_t>(max));
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

}  // namespace

Addr128 ToAddr128(const IpAddr& a) {
  Addr128 v;
  if (a.family == Family::kIpv4) {
    v.lo = (uint64_t{a.bytes[0]} << 24) | (uint64_t{a.bytes[1]} << 16) |
           (uint64_t{a.bytes[2]} << 8) | uint64_t{a.bytes[3]};
    return v;
  }
  for (int i = 0; i < 8; ++i) v.hi = (v.hi << 8) | a.bytes[static_cast<size_t>(i)];
  for (int i = 8; i < 16; ++i) v.lo = (v.lo << 8) | a.bytes[static_cast<size_t>(i)];
  return v;
}

IpAddr FromAddr128(Family f, Addr128 v) {
  IpAddr a;
  a.family = f;
  if (f == Family::kIpv4) {
    for (int i = 3; i >= 0; --i, v.lo >>= 8) a.bytes[static_cast<size_t>(i)] = v.lo & 0xff;
    return a;
  }
  for (int i = 15; i >= 8; --i, v.lo >>= 8) a.bytes[static_cast<size_t>(i)] = v.lo & 0xff;
  for (int i = 7; i >= 0; --i, v.hi >>= 8) a.bytes[static_cast<size_t>(i)] = v.hi & 0xff;
  return a;
}

void AddrSet::Add(const AddrRange& r) {
  ranges_.push_back(r);
  std::sort(ranges_.begin(), ranges_.end(), Before);
  std::vector<AddrRange> merged;
  for (const AddrRange& x : ranges_) {
    if (!merged.empty() && merged.back().family == x.family &&
        (merged.back().hi == Max(x.family) || Inc(merged.back().hi) >= x.lo)) {
      merged.back().hi = std::max(merged.back().hi, x.hi);
    } else {
      merged.push_back(x);
    }
  }
  ranges_ = std::move(merged);
}

void AddrSet::Subtract(const AddrRange& r) {
  std::vector<AddrRange> out;
  for (const AddrRange& x : ranges_) {
    if (x.family != r.family || x.hi < r.lo || r.hi < x.lo) {
      out.push_back(x);
      continue;
    }
    if (x.lo < r.lo) out.push_back({x.family, x.lo, Dec(r.lo)});
    if (r.hi < x.hi) out.push_back({x.family, Inc(r.hi), x.hi});
  }
  ranges_ = std::move(out);
}

void AddrSet::Add(const AddrSet& other) {
  for (const AddrRange& r : other.ranges_) Add(r);
}

void AddrSet::Subtract(const AddrSet& other) {
  for (const AddrRange& r : other.ranges_) Subtract(r);
}

bool AddrSet::Contains(const IpAddr& a) const {
  const Addr128 v = ToAddr128(a);
  // The first range that ends at or after `a` in (family, address) order.
  const auto it = std::lower_bound(ranges_.begin(), ranges_.end(), v,
                                   [&](const AddrRange& r, const Addr128& x) {
                                     if (r.family != a.family) return r.family < a.family;
                                     return r.hi < x;
                                   });
  return it != ranges_.end() && it->family == a.family && it->lo <= v;
}

std::optional<AddrRange> AddrSet::FirstUncovered(const AddrSet& other) const {
  AddrSet rest = other;
  rest.Subtract(*this);
  if (rest.ranges_.empty()) return std::nullopt;
  return rest.ranges_.front();
}

bool AddrSet::Covers(const AddrSet& other) const { return !FirstUncovered(other); }

uint64_t AddrSet::Size() const {
  uint64_t n = 0;
  for (const AddrRange& r : ranges_) {
    const uint64_t c = RangeSize(r);
    if (c > ~uint64_t{0} - n) return ~uint64_t{0};
    n += c;
  }
  return n;
}

IpAddr AddrSet::At(uint64_t i) const {
  for (const AddrRange& r : ranges_) {
    const uint64_t c = RangeSize(r);
    if (i < c) {
      Addr128 v = r.lo;
      const uint64_t lo = v.lo + i;
      if (lo < v.lo) ++v.hi;  // carry
      v.lo = lo;
      return FromAddr128(r.family, v);
    }
    i -= c;
  }
  return {};
}

std::string RangeToString(const AddrRange& r) {
  const std::string lo = FromAddr128(r.family, r.lo).ToString();
  if (r.lo == r.hi) return lo;
  return lo + "-" + FromAddr128(r.family, r.hi).ToString();
}

Result<std::optional<AddrRange>> ParseAddrRange(std::string_view spec) {
  if (const size_t slash = spec.find('/'); slash != std::string_view::npos) {
    auto addr = ParseIpAddr(spec.substr(0, slash));
    if (!addr) return InvalidArgument("the part before '/' is not an IP address");
    const int max = addr->family == Family::kIpv4 ? 32 : 128;
    auto bits = ParseSmallInt(spec.substr(slash + 1), max);
    if (!bits) return InvalidArgument(fmt::format("the prefix length must be 0-{}", max));
    const Addr128 v = ToAddr128(*addr);
    // Host part: the low (max - bits) bits.
    const int host = max - *bits;
    Addr128 mask;  // ones in the host part
    if (host >= 64) {
      mask.lo = ~uint64_t{0};
      mask.hi = host == 128 ? ~uint64_t{0} : (uint64_t{1} << (host - 64)) - 1;
    } else {
      mask.lo = host == 0 ? 0 : (uint64_t{1} << host) - 1;
    }
    AddrRange r{addr->family, {v.hi & ~mask.hi, v.lo & ~mask.lo}, {}};
    r.hi = {r.lo.hi | mask.hi, r.lo.lo | mask.lo};
    if (addr->family == Family::kIpv4) r.hi.lo &= 0xffffffffu;
    return std::optional<AddrRange>(r);
  }
  if (const size_t dash = spec.find('-'); dash != std::string_view::npos) {
    auto lo = ParseIpAddr(spec.substr(0, dash));
    if (lo) {
      const std::string_view rest = spec.substr(dash + 1);
      Addr128 hi;
      if (auto end = ParseIpAddr(rest)) {
        if (end->family != lo->family)
          return InvalidArgument("the two ends are of different families");
        hi = ToAddr128(*end);
      } else if (auto octet = ParseSmallInt(rest, 255); octet && lo->family == Family::kIpv4) {
        hi = ToAddr128(*lo);
        hi.lo = (hi.lo & ~uint64_t{0xff}) | static_cast<uint64_t>(*octet);
      } else {
        return InvalidArgument("the end of the range is neither an address nor a last octet 0-255");
      }
      const AddrRange r{lo->family, ToAddr128(*lo), hi};
      if (r.hi < r.lo) return InvalidArgument("the range ends before it starts");
      return std::optional<AddrRange>(r);
    }
    // A dash may also be part of a host name: not a literal.
  }
  if (auto addr = ParseIpAddr(spec)) {
    return std::optional<AddrRange>(AddrRange{addr->family, ToAddr128(*addr), ToAddr128(*addr)});
  }
  return std::optional<AddrRange>();
}

}  // namespace portatlas
