#include "flow/packet_parse.h"

#include <cstring>

#include "flow/flow_record.h"

namespace portatlas::flow {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// The offset of the IP header and its EtherType-like family; nullopt for other payloads.
std::optional<size_t> NetworkOffset(int link, std::span<const uint8_t> f) {
  switch (link) {
    case kLinkEthernet: {
      size_t off = 12;
      while (off + 2 <= f.size()) {
        const uint16_t type = Be16(f.data() + off);
        if (type == kEtherVlan || type == kEtherQinQ) {
          off += 4;
          continue;
        }
        if (type == kEtherIpv4 || type == kEtherIpv6) return off + 2;
        return std::nullopt;
      }
      return std::nullopt;
    }
    case kLinkLinuxSll:
      return f.size() >= 16 ? std::optional<size_t>(16) : std::nullopt;
    case kLinkLinuxSll2:
      return f.size() >= 20 ? std::optional<size_t>(20) : std::nullopt;
    case kLinkNull:
      return f.size() >= 4 ? std::optional<size_t>(4) : std::nullopt;
    case kLinkRaw:
    case kLinkIpv4:
    case kLinkIpv6:
      return size_t{0};
    default:
      return std::nullopt;
  }
}

bool Transport(PacketInfo& p, std::span<const uint8_t> l4, size_t l4_bytes) {
  if (p.ip_proto == kIpProtoTcp) {
    if (l4.size() < 20) return false;
    p.src_port = Be16(l4.data());
    p.dst_port = Be16(l4.data() + 2);
    const size_t header = static_cast<size_t>(l4[12] >> 4) * 4;
    p.tcp_flags = l4[13];
    if (header < 20) return false;
    p.payload_bytes = l4_bytes > header ? static_cast<uint32_t>(l4_bytes - header) : 0;
    return true;
  }
  if (p.ip_proto == kIpProtoUdp) {
    if (l4.size() < 8) return false;
    p.src_port = Be16(l4.data());
    p.dst_port = Be16(l4.data() + 2);
    p.payload_bytes = l4_bytes > 8 ? static_cast<uint32_t>(l4_bytes - 8) : 0;
    return true;
  }
  p.payload_bytes = static_cast<uint32_t>(l4_bytes);
  return true;  // another protocol: no ports
}

std::optional<PacketInfo> Ipv4(std::span<const uint8_t> l3) {
  if (l3.size() < 20 || (l3[0] >> 4) != 4) return std::nullopt;
  const size_t header = size_t{l3[0] & 0xfu} * 4;
  const size_t total = Be16(l3.data() + 2);
  if (header < 20 || total < header || l3.size() < header) return std::nullopt;
  if ((Be16(l3.data() + 6) & 0x1fff) != 0) return std::nullopt;  // not the first fragment
  PacketInfo p;
  p.src.family = p.dst.family = Family::kIpv4;
  std::memcpy(p.src.bytes.data(), l3.data() + 12, 4);
  std::memcpy(p.dst.bytes.data(), l3.data() + 16, 4);
  p.ip_proto = l3[9];
  p.ip_bytes = static_cast<uint32_t>(total);
  p.l3 = l3.subspan(0, std::min(l3.size(), total));
  if (!Transport(p, l3.subspan(header), total - header)) return std::nullopt;
  return p;
}

std::optional<PacketInfo> Ipv6(std::span<const uint8_t> l3) {
  if (l3.size() < 40 || (l3[0] >> 4) != 6) return std::nullopt;
  const size_t payload = Be16(l3.data() + 4);
  PacketInfo p;
  p.src.family = p.dst.family = Family::kIpv6;
  std::memcpy(p.src.bytes.data(), l3.data() + 8, 16);
  std::memcpy(p.dst.bytes.data(), l3.data() + 24, 16);
  p.ip_bytes = static_cast<uint32_t>(40 + payload);
  p.l3 = l3.subspan(0, std::min(l3.size(), size_t{40} + payload));
  uint8_t next = l3[6];
  size_t off = 40;
  // Extension headers: hop-by-hop 0, routing 43, fragment 44, destination options 60.
  for (int i = 0; i < 8 && (next == 0 || next == 43 || next == 44 || next == 60); ++i) {
    if (off + 8 > l3.size()) return std::nullopt;
    if (next == 44) {
      if ((Be16(l3.data() + off + 2) & 0xfff8) != 0) return std::nullopt;  // not the first
      next = l3[off];
      off += 8;
      continue;
    }
    const size_t len = (size_t{l3[off + 1]} + 1) * 8;
    next = l3[off];
    off += len;
  }
  if (off > l3.size() || off > 40 + payload) return std::nullopt;
  p.ip_proto = next;
  if (!Transport(p, l3.subspan(off), 40 + payload - off)) return std::nullopt;
  return p;
}

}  // namespace

std::optional<PacketInfo> ParsePacket(int link_type, std::span<const uint8_t> frame) {
  auto off = NetworkOffset(link_type, frame);
  if (!off || *off >= frame.size()) return std::nullopt;
  const std::span<const uint8_t> l3 = frame.subspan(*off);
  switch (l3[0] >> 4) {
    case 4:
      return Ipv4(l3);
    case 6:
      return Ipv6(l3);
    default:
      return std::nullopt;
  }
}

}  // namespace portatlas::flow
