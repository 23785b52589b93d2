// ParsePacket: the facts of one captured frame that the pcap flow builder needs, from its link
// layer (Ethernet with VLAN tags, Linux cooked v1 and v2, raw IP, BSD loopback) to its
// transport header. Never trusts a length: a frame too short for what it claims yields nullopt.
#ifndef PORTATLAS_FLOW_PACKET_PARSE_H_
#define PORTATLAS_FLOW_PACKET_PARSE_H_

#include <cstdint>
#include <optional>
#include <span>

#include "core/types.h"

namespace portatlas::flow {

// pcap link types (DLT_*) understood.
inline constexpr int kLinkNull = 0;
inline constexpr int kLinkEthernet = 1;
inline constexpr int kLinkRaw = 101;
inline constexpr int kLinkLinuxSll = 113;
inline constexpr int kLinkIpv4 = 228;
inline constexpr int kLinkIpv6 = 229;
inline constexpr int kLinkLinuxSll2 = 276;

struct PacketInfo {
  IpAddr src;
  IpAddr dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ip_proto = 0;
  uint8_t tcp_flags = 0;
  uint32_t ip_bytes = 0;        // the IP header's total length (what NetFlow counts)
  uint32_t payload_bytes = 0;   // transport payload, by the headers' lengths
  std::span<const uint8_t> l3;  // from the IP header, as captured
};

// nullopt for frames that are not IPv4/IPv6, non-first fragments (no ports), and damaged ones.
std::optional<PacketInfo> ParsePacket(int link_type, std::span<const uint8_t> frame);

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_PACKET_PARSE_H_
