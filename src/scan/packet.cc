#include "scan/packet.h"

#include <algorithm>
#include <cstring>

namespace portatlas::scan {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86DD;
constexpr uint16_t kEthVlan = 0x8100;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmp6 = 58;

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

// The Internet checksum's running sum of 16-bit big-endian words.
uint32_t SumWords(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (; n >= 2; p += 2, n -= 2) sum += Get16(p);
  if (n == 1) sum += uint32_t{p[0]} << 8;
  return sum;
}
uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

size_t AddrLen(Family f) { return f == Family::kIpv4 ? 4 : 16; }

// Writes Ethernet and IP headers for a transport segment of `l4_len` bytes; returns the offset
// of the transport header. `pseudo` gets the pseudo-header's checksum sum.
size_t WriteHeaders(const FrameTemplate& t, const IpAddr& dst, uint8_t proto, size_t l4_len,
                    uint16_t ip_id, uint8_t* out, uint32_t& pseudo) {
  std::memcpy(out, t.dst_mac.data(), 6);
  std::memcpy(out + 6, t.src_mac.data(), 6);
  const size_t alen = AddrLen(t.src.family);
  if (t.src.family == Family::kIpv4) {
    Put16(out + 12, kEthIpv4);
    uint8_t* ip = out + 14;
    ip[0] = 0x45;
    ip[1] = 0;
    Put16(ip + 2, static_cast<uint16_t>(20 + l4_len));
    Put16(ip + 4, ip_id);
    Put16(ip + 6, 0);
    ip[8] = t.ttl;
    ip[9] = proto;
    Put16(ip + 10, 0);
    std::memcpy(ip + 12, t.src.bytes.data(), 4);
    std::memcpy(ip + 16, dst.bytes.data(), 4);
    Put16(ip + 10, Fold(SumWords(ip, 20)));
  } else {
    Put16(out + 12, kEthIpv6);
    uint8_t* ip = out + 14;
    Put32(ip, 0x60000000u);
    Put16(ip + 4, static_cast<uint16_t>(l4_len));
    ip[6] = proto;
    ip[7] = t.ttl;
    std::memcpy(ip + 8, t.src.bytes.data(), 16);
    std::memcpy(ip + 24, dst.bytes.data(), 16);
  }
  pseudo = SumWords(t.src.bytes.data(), alen);
  pseudo = SumWords(dst.bytes.data(), alen, pseudo);
  pseudo += proto;
  pseudo += static_cast<uint32_t>(l4_len);
  return 14 + (t.src.family == Family::kIpv4 ? 20 : 40);
}

size_t BuildTcp(const FrameTemplate& t, const IpAddr& dst, uint16_t sport, uint16_t dport,
                uint32_t seq, uint8_t flags, uint8_t* out) {
  const bool syn = (flags & kTcpSyn) != 0;
  const size_t tcp_len = syn ? 24 : 20;
  uint32_t pseudo = 0;
  const size_t off =
      WriteHeaders(t, dst, kProtoTcp, tcp_len, static_cast<uint16_t>(seq >> 16), out, pseudo);
  uint8_t* tcp = out + off;
  Put16(tcp, sport);
  Put16(tcp + 2, dport);
  Put32(tcp + 4, seq);
  Put32(tcp + 8, 0);
  tcp[12] = static_cast<uint8_t>((tcp_len / 4) << 4);
  tcp[13] = flags;
  Put16(tcp + 14, syn ? 1024 : 0);
  Put16(tcp + 16, 0);
  Put16(tcp + 18, 0);
  if (syn) {
    tcp[20] = 2;  // MSS
    tcp[21] = 4;
    Put16(tcp + 22, 1460);
  }
  Put16(tcp + 16, Fold(SumWords(tcp, tcp_len, pseudo)));
  return off + tcp_len;
}

IpAddr AddrFrom(Family f, const uint8_t* p) {
  IpAddr a;
  a.family = f;
  std::memcpy(a.bytes.data(), p, AddrLen(f));
  return a;
}

// Moves p/n past the Ethernet header (and one 802.1Q tag) and gives the EtherType; false when
// the frame is too short.
bool SkipEthernet(const uint8_t*& p, size_t& n, uint16_t& type) {
  if (n < 14) return false;
  type = Get16(p + 12);
  p += 14;
  n -= 14;
  if (type == kEthVlan) {
    if (n < 4) return false;
    type = Get16(p + 2);
    p += 4;
    n -= 4;
  }
  return true;
}

// Skips IPv6 extension headers starting at `next` with the header at p[0..n); returns the
// transport protocol and moves p/n to its header, or false (a later fragment, too many or
// truncated headers).
bool SkipIpv6Extensions(uint8_t& next, const uint8_t*& p, size_t& n) {
  for (int i = 0; i < 8; ++i) {
    switch (next) {
      case 0:     // hop-by-hop
      case 43:    // routing
      case 60: {  // destination options
        if (n < 8) return false;
        const size_t len = (size_t{p[1]} + 1) * 8;
        if (n < len) return false;
        next = p[0];
        p += len;
        n -= len;
        break;
      }
      case 44: {  // fragment: only the first carries the transport header
        if (n < 8) return false;
        if ((Get16(p + 2) & 0xFFF8) != 0) return false;
        next = p[0];
        p += 8;
        n -= 8;
        break;
      }
      default:
        return true;
    }
  }
  return false;
}

// Reads the probe an ICMP error quotes: an IP header (of `f`) and at least 8 transport bytes.
bool DecodeQuoted(Family f, const uint8_t* p, size_t n, Reply& r) {
  uint8_t proto = 0;
  if (f == Family::kIpv4) {
    if (n < 20 || (p[0] >> 4) != 4) return false;
    const size_t ihl = static_cast<size_t>(p[0] & 0x0F) * 4;
    if (ihl < 20 || n < ihl) return false;
    if ((Get16(p + 6) & 0x1FFF) != 0) return false;
    proto = p[9];
    r.quoted_dst = AddrFrom(f, p + 16);
    p += ihl;
    n -= ihl;
  } else {
    if (n < 40 || (p[0] >> 4) != 6) return false;
    proto = p[6];
    r.quoted_dst = AddrFrom(f, p + 24);
    p += 40;
    n -= 40;
    if (!SkipIpv6Extensions(proto, p, n)) return false;
  }
  if (n < 8) return false;
  if (proto == kProtoTcp) {
    r.quoted_proto = Proto::kTcp;
    r.seq = Get32(p + 4);
  } else if (proto == kProtoUdp) {
    r.quoted_proto = Proto::kUdp;
  } else {
    return false;
  }
  r.sport = Get16(p);
  r.dport = Get16(p + 2);
  return true;
}

}  // namespace

size_t BuildTcpSyn(const FrameTemplate& t, const IpAddr& dst, uint16_t sport, uint16_t dport,
                   uint32_t seq, uint8_t* out) {
  return BuildTcp(t, dst, sport, dport, seq, kTcpSyn, out);
}

size_t BuildTcpRst(const FrameTemplate& t, const IpAddr& dst, uint16_t sport, uint16_t dport,
                   uint32_t seq, uint8_t* out) {
  return BuildTcp(t, dst, sport, dport, seq, kTcpRst, out);
}

size_t BuildUdp(const FrameTemplate& t, const IpAddr& dst, uint16_t sport, uint16_t dport,
                std::span<const uint8_t> payload, uint8_t* out) {
  const size_t plen = std::min(payload.size(), kMaxUdpPayload);
  const size_t udp_len = 8 + plen;
  uint32_t pseudo = 0;
  const size_t off = WriteHeaders(t, dst, kProtoUdp, udp_len, sport, out, pseudo);
  uint8_t* udp = out + off;
  Put16(udp, sport);
  Put16(udp + 2, dport);
  Put16(udp + 4, static_cast<uint16_t>(udp_len));
  Put16(udp + 6, 0);
  if (plen > 0) std::memcpy(udp + 8, payload.data(), plen);
  uint16_t sum = Fold(SumWords(udp, udp_len, pseudo));
  Put16(udp + 6, sum == 0 ? 0xFFFF : sum);
  return off + udp_len;
}

std::optional<Reply> DecodeFrame(std::span<const uint8_t> frame) {
  const uint8_t* p = frame.data();
  size_t n = frame.size();
  uint16_t type = 0;
  if (!SkipEthernet(p, n, type)) return std::nullopt;
  Reply r;
  uint8_t proto = 0;
  if (type == kEthIpv4) {
    if (n < 20 || (p[0] >> 4) != 4) return std::nullopt;
    const size_t ihl = static_cast<size_t>(p[0] & 0x0F) * 4;
    const size_t total = Get16(p + 2);
    if (ihl < 20 || total < ihl || total > n) return std::nullopt;
    if ((Get16(p + 6) & 0x1FFF) != 0) return std::nullopt;  // not the first fragment
    r.ttl = p[8];
    proto = p[9];
    r.src = AddrFrom(Family::kIpv4, p + 12);
    r.dst = AddrFrom(Family::kIpv4, p + 16);
    n = total - ihl;  // Ethernet padding is not payload
    p += ihl;
  } else if (type == kEthIpv6) {
    if (n < 40 || (p[0] >> 4) != 6) return std::nullopt;
    const size_t plen = Get16(p + 4);
    if (plen > n - 40) return std::nullopt;
    proto = p[6];
    r.ttl = p[7];
    r.src = AddrFrom(Family::kIpv6, p + 8);
    r.dst = AddrFrom(Family::kIpv6, p + 24);
    p += 40;
    n = plen;
    if (!SkipIpv6Extensions(proto, p, n)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  const Family f = r.src.family;
  switch (proto) {
    case kProtoTcp: {
      if (n < 20) return std::nullopt;
      const size_t doff = static_cast<size_t>(p[12] >> 4) * 4;
      if (doff < 20 || doff > n) return std::nullopt;
      r.kind = ReplyKind::kTcp;
      r.sport = Get16(p);
      r.dport = Get16(p + 2);
      r.seq = Get32(p + 4);
      r.ack = Get32(p + 8);
      r.tcp_flags = p[13];
      return r;
    }
    case kProtoUdp: {
      if (n < 8) return std::nullopt;
      const size_t ulen = Get16(p + 4);
      if (ulen < 8 || ulen > n) return std::nullopt;
      r.kind = ReplyKind::kUdp;
      r.sport = Get16(p);
      r.dport = Get16(p + 2);
      return r;
    }
    case kProtoIcmp:
    case kProtoIcmp6: {
      if ((proto == kProtoIcmp) != (f == Family::kIpv4)) return std::nullopt;
      if (n < 8) return std::nullopt;
      r.icmp_type = p[0];
      r.icmp_code = p[1];
      const uint8_t unreach = f == Family::kIpv4 ? 3 : 1;
      if (r.icmp_type != unreach) return std::nullopt;
      r.kind = ReplyKind::kIcmpUnreach;
      if (!DecodeQuoted(f, p + 8, n - 8, r)) return std::nullopt;
      return r;
    }
    default:
      return std::nullopt;
  }
}

std::optional<NeighborSolicit> DecodeNeighborSolicit(std::span<const uint8_t> frame) {
  const uint8_t* p = frame.data();
  size_t n = frame.size();
  uint16_t type = 0;
  if (!SkipEthernet(p, n, type)) return std::nullopt;
  NeighborSolicit s;
  std::memcpy(s.requester_mac.data(), frame.data() + 6, 6);
  if (type == 0x0806) {
    // Ethernet/IPv4 ARP request: htype 1, ptype 0x0800, hlen 6, plen 4, oper 1.
    if (n < 28 || Get16(p) != 1 || Get16(p + 2) != kEthIpv4 || p[4] != 6 || p[5] != 4 ||
        Get16(p + 6) != 1) {
      return std::nullopt;
    }
    std::memcpy(s.requester_mac.data(), p + 8, 6);
    s.requester = AddrFrom(Family::kIpv4, p + 14);
    s.target = AddrFrom(Family::kIpv4, p + 24);
    return s;
  }
  if (type != kEthIpv6 || n < 40 || (p[0] >> 4) != 6) return std::nullopt;
  const size_t plen = Get16(p + 4);
  if (plen > n - 40 || p[6] != kProtoIcmp6 || p[7] != 255) return std::nullopt;
  s.requester = AddrFrom(Family::kIpv6, p + 8);
  const uint8_t* icmp = p + 40;
  if (plen < 24 || icmp[0] != 135 || icmp[1] != 0) return std::nullopt;
  s.target = AddrFrom(Family::kIpv6, icmp + 8);
  // A source link-layer address option, when there is one, names the requester's MAC.
  for (size_t off = 24; off + 8 <= plen;) {
    const size_t len = size_t{icmp[off + 1]} * 8;
    if (len == 0 || off + len > plen) return std::nullopt;
    if (icmp[off] == 1 && len >= 8) std::memcpy(s.requester_mac.data(), icmp + off + 2, 6);
    off += len;
  }
  return s;
}

size_t BuildNeighborAdvert(const NeighborSolicit& s, const MacAddr& mac, uint8_t* out) {
  std::memcpy(out, s.requester_mac.data(), 6);
  std::memcpy(out + 6, mac.data(), 6);
  if (s.target.family == Family::kIpv4) {
    Put16(out + 12, 0x0806);
    uint8_t* a = out + 14;
    Put16(a, 1);
    Put16(a + 2, kEthIpv4);
    a[4] = 6;
    a[5] = 4;
    Put16(a + 6, 2);  // reply
    std::memcpy(a + 8, mac.data(), 6);
    std::memcpy(a + 14, s.target.bytes.data(), 4);
    std::memcpy(a + 18, s.requester_mac.data(), 6);
    std::memcpy(a + 24, s.requester.bytes.data(), 4);
    std::memset(out + 42, 0, 18);  // pad to the Ethernet minimum
    return 60;
  }
  // To the requester, or to all nodes when it asked from the unspecified address.
  IpAddr dst = s.requester;
  if (dst.IsUnspecified()) {
    dst.bytes = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    std::memcpy(out, "\x33\x33\x00\x00\x00\x01", 6);
  }
  Put16(out + 12, kEthIpv6);
  uint8_t* ip = out + 14;
  constexpr size_t kLen = 32;  // ICMPv6 header, flags, target, one 8-byte option
  Put32(ip, 0x60000000u);
  Put16(ip + 4, kLen);
  ip[6] = kProtoIcmp6;
  ip[7] = 255;
  std::memcpy(ip + 8, s.target.bytes.data(), 16);
  std::memcpy(ip + 24, dst.bytes.data(), 16);
  uint8_t* icmp = ip + 40;
  std::memset(icmp, 0, kLen);
  icmp[0] = 136;
  icmp[4] = s.requester.IsUnspecified() ? 0x20 : 0x60;  // (S)olicited, (O)verride
  std::memcpy(icmp + 8, s.target.bytes.data(), 16);
  icmp[24] = 2;  // target link-layer address
  icmp[25] = 1;
  std::memcpy(icmp + 26, mac.data(), 6);
  uint32_t sum = SumWords(ip + 8, 32);
  sum += kProtoIcmp6;
  sum += kLen;
  Put16(icmp + 2, Fold(SumWords(icmp, kLen, sum)));
  return 14 + 40 + kLen;
}

bool IcmpPortUnreachable(const Reply& r) {
  if (r.kind != ReplyKind::kIcmpUnreach) return false;
  return r.src.family == Family::kIpv4 ? r.icmp_code == 3 : r.icmp_code == 4;
}

const char* IcmpReason(const Reply& r) {
  if (IcmpPortUnreachable(r)) return "port-unreach";
  if (r.src.family == Family::kIpv4) {
    switch (r.icmp_code) {
      case 0:
        return "net-unreach";
      case 1:
        return "host-unreach";
      case 2:
        return "proto-unreach";
      case 9:
      case 10:
      case 13:
        return "admin-prohibited";
      default:
        return "unreach";
    }
  }
  switch (r.icmp_code) {
    case 0:
      return "net-unreach";
    case 1:
      return "admin-prohibited";
    case 3:
      return "host-unreach";
    default:
      return "unreach";
  }
}

}  // namespace portatlas::scan
