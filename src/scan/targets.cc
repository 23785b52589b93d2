#include "scan/targets.h"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/text.h"

namespace portatlas::scan {
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

// hi - lo + 1, saturating at UINT64_MAX.
uint64_t Count(const AddrRange& r) {
  uint64_t hi = r.hi.hi - r.lo.hi;
  const uint64_t lo = r.hi.lo - r.lo.lo;
  if (r.hi.lo < r.lo.lo) --hi;  // borrow
  if (hi != 0 || lo == ~uint64_t{0}) return ~uint64_t{0};
  return lo + 1;
}

bool Before(const AddrRange& a, const AddrRange& b) {
  return a.family != b.family ? a.family < b.family : a.lo < b.lo;
}

bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

std::optional<int> ParseSmallInt(std::string_view s, int max) {
  auto v = ParseUint(s, static_cast<uint64_t>(max));
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

Status Bad(std::string_view spec, std::string_view why) {
  return InvalidArgument(fmt::format("target '{}': {}", spec, why));
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

void TargetSet::Add(const AddrRange& r) {
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

void TargetSet::Subtract(const AddrRange& r) {
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

void TargetSet::Add(const TargetSet& other) {
  for (const AddrRange& r : other.ranges_) Add(r);
}

void TargetSet::Subtract(const TargetSet& other) {
  for (const AddrRange& r : other.ranges_) Subtract(r);
}

bool TargetSet::Contains(const IpAddr& a) const {
  const Addr128 v = ToAddr128(a);
  return std::any_of(ranges_.begin(), ranges_.end(), [&](const AddrRange& r) {
    return r.family == a.family && r.lo <= v && v <= r.hi;
  });
}

std::optional<AddrRange> TargetSet::FirstUncovered(const TargetSet& other) const {
  TargetSet rest = other;
  rest.Subtract(*this);
  if (rest.ranges_.empty()) return std::nullopt;
  return rest.ranges_.front();
}

bool TargetSet::Covers(const TargetSet& other) const { return !FirstUncovered(other); }

uint64_t TargetSet::Size() const {
  uint64_t n = 0;
  for (const AddrRange& r : ranges_) {
    const uint64_t c = Count(r);
    if (c > ~uint64_t{0} - n) return ~uint64_t{0};
    n += c;
  }
  return n;
}

IpAddr TargetSet::At(uint64_t i) const {
  for (const AddrRange& r : ranges_) {
    const uint64_t c = Count(r);
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

TargetIndex::TargetIndex(const TargetSet& set) : ranges_(set.ranges()) {
  starts_.reserve(ranges_.size());
  for (const AddrRange& r : ranges_) {
    starts_.push_back(size_);
    const uint64_t c = Count(r);
    size_ = c > ~uint64_t{0} - size_ ? ~uint64_t{0} : size_ + c;
  }
}

IpAddr TargetIndex::At(uint64_t i) const {
  const auto it = std::upper_bound(starts_.begin(), starts_.end(), i);
  if (it == starts_.begin()) return {};
  const size_t k = static_cast<size_t>(it - starts_.begin()) - 1;
  Addr128 v = ranges_[k].lo;
  const uint64_t lo = v.lo + (i - starts_[k]);
  if (lo < v.lo) ++v.hi;  // carry
  v.lo = lo;
  return FromAddr128(ranges_[k].family, v);
}

std::optional<uint64_t> TargetIndex::IndexOf(const IpAddr& a) const {
  const Addr128 v = ToAddr128(a);
  // The first range that ends at or after `a` in (family, address) order.
  const auto it = std::lower_bound(ranges_.begin(), ranges_.end(), v,
                                   [&](const AddrRange& r, const Addr128& x) {
                                     if (r.family != a.family) return r.family < a.family;
                                     return r.hi < x;
                                   });
  if (it == ranges_.end() || it->family != a.family || v < it->lo) return std::nullopt;
  const size_t k = static_cast<size_t>(it - ranges_.begin());
  return starts_[k] + (v.lo - it->lo.lo);
}

Result<std::vector<IpAddr>> SystemResolve(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (rc != 0) return NotFound(fmt::format("cannot resolve '{}': {}", name, gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(res, freeaddrinfo);
  std::vector<IpAddr> out;
  for (const addrinfo* p = res; p != nullptr; p = p->ai_next) {
    IpAddr a;
    if (p->ai_family == AF_INET) {
      a.family = Family::kIpv4;
      std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(p->ai_addr)->sin_addr, 4);
    } else if (p->ai_family == AF_INET6) {
      a.family = Family::kIpv6;
      std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(p->ai_addr)->sin6_addr,
                  16);
    } else {
      continue;
    }
    out.push_back(a);
  }
  if (out.empty()) return NotFound(fmt::format("'{}' has no IPv4 or IPv6 address", name));
  return out;
}

Result<AddrRange> ParseTargetSpec(std::string_view spec, const Resolver& resolve) {
  if (spec.empty()) return Bad(spec, "empty");
  if (const size_t slash = spec.find('/'); slash != std::string_view::npos) {
    auto addr = ParseIpAddr(spec.substr(0, slash));
    if (!addr) return Bad(spec, "the part before '/' is not an IP address");
    const int max = addr->family == Family::kIpv4 ? 32 : 128;
    auto bits = ParseSmallInt(spec.substr(slash + 1), max);
    if (!bits) return Bad(spec, fmt::format("the prefix length must be 0-{}", max));
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
    return r;
  }
  if (const size_t dash = spec.find('-'); dash != std::string_view::npos) {
    auto lo = ParseIpAddr(spec.substr(0, dash));
    if (lo) {
      const std::string_view rest = spec.substr(dash + 1);
      Addr128 hi;
      if (auto end = ParseIpAddr(rest)) {
        if (end->family != lo->family) return Bad(spec, "the two ends are of different families");
        hi = ToAddr128(*end);
      } else if (auto octet = ParseSmallInt(rest, 255); octet && lo->family == Family::kIpv4) {
        hi = ToAddr128(*lo);
        hi.lo = (hi.lo & ~uint64_t{0xff}) | static_cast<uint64_t>(*octet);
      } else {
        return Bad(spec, "the end of the range is neither an address nor a last octet 0-255");
      }
      const AddrRange r{lo->family, ToAddr128(*lo), hi};
      if (r.hi < r.lo) return Bad(spec, "the range ends before it starts");
      return r;
    }
    // A dash may also be part of a host name.
  }
  if (auto addr = ParseIpAddr(spec)) {
    return AddrRange{addr->family, ToAddr128(*addr), ToAddr128(*addr)};
  }
  if (!IsHostName(spec)) return Bad(spec, "not an address, CIDR block, range or host name");
  auto addrs = resolve(std::string(spec));
  if (!addrs) return Bad(spec, addrs.error().message());
  if (addrs->empty()) return Bad(spec, "the name has no address");
  const Addr128 v = ToAddr128(addrs->front());
  return AddrRange{addrs->front().family, v, v};
}

Result<TargetSet> ParseTargets(const std::vector<std::string>& specs, const Resolver& resolve,
                               uint64_t max_addresses) {
  TargetSet set;
  for (const std::string& list : specs) {
    size_t begin = 0;
    for (;;) {
      const size_t comma = list.find(',', begin);
      const std::string_view spec = std::string_view(list).substr(
          begin, comma == std::string::npos ? std::string::npos : comma - begin);
      PA_ASSIGN_OR_RETURN(range, ParseTargetSpec(spec, resolve));
      set.Add(range);
      if (set.Size() > max_addresses) {
        return InvalidArgument(
            fmt::format("more than {} target addresses (at '{}')", max_addresses, spec));
      }
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
  }
  return set;
}

std::vector<std::string> SplitTargetList(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else {
      const size_t start = i;
      while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
             text[i] != '\r' && text[i] != '#') {
        ++i;
      }
      out.emplace_back(text.substr(start, i - start));
    }
  }
  return out;
}

std::string RangeToString(const AddrRange& r) {
  const std::string lo = FromAddr128(r.family, r.lo).ToString();
  if (r.lo == r.hi) return lo;
  return lo + "-" + FromAddr128(r.family, r.hi).ToString();
}

TargetSet LoopbackAllowList() {
  TargetSet s;
  s.Add(AddrRange{Family::kIpv4, {0, 0x7f000000u}, {0, 0x7fffffffu}});
  s.Add(AddrRange{Family::kIpv6, {0, 1}, {0, 1}});
  return s;
}

}  // namespace portatlas::scan
