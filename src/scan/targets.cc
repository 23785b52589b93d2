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

bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

Status Bad(std::string_view spec, std::string_view why) {
  return InvalidArgument(fmt::format("target '{}': {}", spec, why));
}

}  // namespace

TargetIndex::TargetIndex(const TargetSet& set) : ranges_(set.ranges()) {
  starts_.reserve(ranges_.size());
  for (const AddrRange& r : ranges_) {
    starts_.push_back(size_);
    const uint64_t c = RangeSize(r);
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
  auto literal = ParseAddrRange(spec);
  if (!literal) return Bad(spec, literal.error().message());
  if (*literal) return **literal;
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

TargetSet LoopbackAllowList() {
  TargetSet s;
  s.Add(AddrRange{Family::kIpv4, {0, 0x7f000000u}, {0, 0x7fffffffu}});
  s.Add(AddrRange{Family::kIpv6, {0, 1}, {0, 1}});
  return s;
}

}  // namespace portatlas::scan
