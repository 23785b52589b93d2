// Frames of the raw-socket scanner: building probes (TCP SYN, TCP RST, UDP) as whole Ethernet
// frames, and decoding whatever comes back (TCP, UDP, ICMP and ICMPv6 errors quoting a probe).
//
// Decoding never trusts a length field: every read is checked against the bytes received, and a
// frame that is not a well-formed reply to something we could have sent decodes to nullopt.
#ifndef PORTATLAS_SCAN_PACKET_H_
#define PORTATLAS_SCAN_PACKET_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/types.h"

namespace portatlas::scan {

using MacAddr = std::array<uint8_t, 6>;

// What every frame of one address family shares: the link and the source.
struct FrameTemplate {
  MacAddr src_mac{};
  MacAddr dst_mac{};  // the gateway's (or the on-link target's) MAC; zero on loopback
  IpAddr src;
  uint8_t ttl = 64;
};

// Largest frame built here (Ethernet + IPv6 + UDP + the largest payload accepted).
inline constexpr size_t kMaxUdpPayload = 1400;
inline constexpr size_t kMaxFrame = 14 + 40 + 8 + kMaxUdpPayload;

// Each writes one frame into `out` (at least kMaxFrame bytes) and returns its length.
// `dst` must have the template's family. A SYN carries an MSS option (1460), window 1024.
size_t BuildTcpSyn(const FrameTemplate& t, const IpAddr& dst, uint16_t sport, uint16_t dport,
                   uint32_t seq, uint8_t* out);
// An RST with sequence `seq` (the peer's acknowledgement of our SYN), no ACK.
size_t BuildTcpRst(const FrameTemplate& t, const IpAddr& dst, uint16_t sport, uint16_t dport,
                   uint32_t seq, uint8_t* out);
// A UDP datagram; payload at most kMaxUdpPayload bytes (longer is cut).
size_t BuildUdp(const FrameTemplate& t, const IpAddr& dst, uint16_t sport, uint16_t dport,
                std::span<const uint8_t> payload, uint8_t* out);

enum class ReplyKind : uint8_t {
  kTcp,          // a TCP segment (flags tell SYN-ACK from RST)
  kUdp,          // a UDP datagram
  kIcmpUnreach,  // ICMP destination unreachable / ICMPv6 type 1 quoting a TCP or UDP probe
};

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

struct Reply {
  ReplyKind kind = ReplyKind::kTcp;
  IpAddr src;  // who sent this frame (the target, or a router for ICMP)
  IpAddr dst;  // whom it is for (us)
  uint8_t ttl = 0;
  // kTcp / kUdp: the segment's ports; kIcmpUnreach: the quoted probe's ports (sport is ours).
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t tcp_flags = 0;
  uint32_t seq = 0;  // kTcp: the segment's; kIcmpUnreach of TCP: the quoted probe's
  uint32_t ack = 0;
  // kIcmpUnreach: the quoted probe's protocol and destination, and the ICMP type and code.
  Proto quoted_proto = Proto::kTcp;
  IpAddr quoted_dst;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
};

// Decodes one Ethernet frame (an 802.1Q tag is skipped). nullopt for anything else: other
// protocols, fragments past the first, truncated or inconsistent headers.
std::optional<Reply> DecodeFrame(std::span<const uint8_t> frame);

// A neighbour solicitation: an ARP request, or an ICMPv6 neighbour solicitation (type 135).
struct NeighborSolicit {
  MacAddr requester_mac{};  // the frame's source MAC
  IpAddr requester;         // who asks (the unspecified address for IPv6 duplicate detection)
  IpAddr target;            // the address whose link address is wanted
};
std::optional<NeighborSolicit> DecodeNeighborSolicit(std::span<const uint8_t> frame);

// The answer to `s` that `mac` owns `s.target`: an ARP reply or an ICMPv6 neighbour
// advertisement (solicited, override, with the target link-layer address option). Returns the
// frame's length in `out` (at least 128 bytes).
size_t BuildNeighborAdvert(const NeighborSolicit& s, const MacAddr& mac, uint8_t* out);

// nmap's reason for an ICMP error: "port-unreach", "host-unreach", "net-unreach",
// "proto-unreach", "admin-prohibited", or "unreach" for the rest.
const char* IcmpReason(const Reply& r);
// True when an ICMP error says the port itself is closed (ICMP port unreachable, ICMPv6 code 4).
bool IcmpPortUnreachable(const Reply& r);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_PACKET_H_
