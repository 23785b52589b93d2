#include "flow/classify.h"

namespace portatlas::flow {
namespace {

std::pair<uint64_t, uint64_t> KeyOf(const IpAddr& ip, Proto proto, uint16_t port) {
  const Addr128 a = ToAddr128(ip);
  const uint64_t tag = (uint64_t{static_cast<uint8_t>(ip.family)} << 24) |
                       (uint64_t{static_cast<uint8_t>(proto)} << 16) | port;
  return {a.hi ^ (tag << 40), a.lo ^ (tag * 0x9e3779b97f4a7c15ull)};
}

// The IANA special-purpose address registries (RFC 6890), IPv4 and IPv6, as of 2024: the
// blocks whose "globally reachable" is false.
constexpr const char* kSpecial[] = {
    "0.0.0.0/8",     "10.0.0.0/8",      "100.64.0.0/10",  "127.0.0.0/8",    "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24",    "192.0.2.0/24",   "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",    "240.0.0.0/4",
    "::/128",        "::1/128",         "64:ff9b:1::/48", "100::/64",       "2001::/23",
    "2001:db8::/32", "3fff::/20",       "5f00::/16",      "fc00::/7",       "fe80::/10",
    "ff00::/8",
};
// Inside 2001::/23, the blocks that are globally reachable (or, for Teredo, carry internet
// clients): PCP and TURN anycast, AMT, AS112, ORCHIDv2, drone remote ID, Teredo.
constexpr const char* kReachableInside[] = {
    "2001:1::1/128", "2001:1::2/128", "2001:3::/32", "2001:4:112::/48",
    "2001:20::/28",  "2001:30::/28",  "2001::/32",
};

// ::ffff:a.b.c.d as a.b.c.d; other addresses as they are.
IpAddr Unmapped(const IpAddr& ip) {
  if (ip.family != Family::kIpv6) return ip;
  for (int i = 0; i < 10; ++i) {
    if (ip.bytes[static_cast<size_t>(i)] != 0) return ip;
  }
  if (ip.bytes[10] != 0xff || ip.bytes[11] != 0xff) return ip;
  IpAddr v4;
  v4.family = Family::kIpv4;
  for (size_t i = 0; i < 4; ++i) v4.bytes[i] = ip.bytes[12 + i];
  return v4;
}

}  // namespace

size_t ListenerSet::Hash::operator()(const std::pair<uint64_t, uint64_t>& k) const {
  return static_cast<size_t>((k.first * 0xff51afd7ed558ccdull) ^ k.second);
}

void ListenerSet::Add(const IpAddr& ip, Proto proto, uint16_t port) {
  keys_.insert(KeyOf(Unmapped(ip), proto, port));
}

bool ListenerSet::Contains(const IpAddr& ip, Proto proto, uint16_t port) const {
  return !keys_.empty() && keys_.count(KeyOf(Unmapped(ip), proto, port)) != 0;
}

WellKnownPorts::WellKnownPorts() {
  for (size_t p = 0; p < 1024; ++p) {
    tcp_.set(p);
    udp_.set(p);
  }
}

void WellKnownPorts::Add(Proto proto, uint16_t port) {
  if (port < 32768) (proto == Proto::kTcp ? tcp_ : udp_).set(port);
}

AddrSet SpecialPurposeRanges() {
  AddrSet s;
  for (const char* spec : kSpecial) s.Add(**ParseAddrRange(spec));
  for (const char* spec : kReachableInside) s.Subtract(**ParseAddrRange(spec));
  return s;
}

InternetRanges::InternetRanges(AddrSet internet, AddrSet internal)
    : internet_(std::move(internet)), not_internet_(SpecialPurposeRanges()) {
  not_internet_.Add(internal);
}

bool InternetRanges::IsInternet(const IpAddr& ip) const {
  const IpAddr a = Unmapped(ip);
  if (internet_.Contains(a)) return true;
  return !not_internet_.Contains(a);
}

Orientation Orient(const FlowRecord& f, Proto proto, const ListenerSet& listeners,
                   const WellKnownPorts& well_known, const InternetRanges* internet) {
  const auto pick = [&](bool dst_passes, bool src_passes, ServerRule rule) {
    if (dst_passes != src_passes) return Orientation{dst_passes, rule};
    return Orientation{f.dst_port <= f.src_port, rule};  // both: the lower port, then dst
  };
  const bool dst_listens = listeners.Contains(f.dst, proto, f.dst_port);
  const bool src_listens = listeners.Contains(f.src, proto, f.src_port);
  if (dst_listens || src_listens) return pick(dst_listens, src_listens, ServerRule::kListener);
  const bool dst_known = well_known.Contains(proto, f.dst_port);
  const bool src_known = well_known.Contains(proto, f.src_port);
  if (dst_known || src_known) return pick(dst_known, src_known, ServerRule::kWellKnown);
  if (internet != nullptr) {
    const bool dst_outside = internet->IsInternet(f.dst);
    if (dst_outside != internet->IsInternet(f.src)) return {!dst_outside, ServerRule::kInside};
  }
  return {f.dst_port <= f.src_port, ServerRule::kLowerPort};
}

}  // namespace portatlas::flow
