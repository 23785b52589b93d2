// For tests and fuzz seeds: Ethernet frames of IPv4/IPv6 TCP and UDP packets, built byte by
// byte (checksums are left zero: nothing here verifies them).
#ifndef PORTATLAS_FLOW_TEST_PACKETS_H_
#define PORTATLAS_FLOW_TEST_PACKETS_H_

#include <cstdint>
#include <string_view>
#include <vector>

namespace portatlas::flow {

struct TestPacket {
  std::string_view src;
  std::string_view dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 6;      // 6 TCP, 17 UDP
  uint8_t tcp_flags = 0;  // TCP only
  std::string_view payload;
};

// An Ethernet frame (EtherType IPv4 or IPv6 from the addresses), optionally behind one VLAN tag.
std::vector<uint8_t> EthernetFrame(const TestPacket& p, bool vlan = false);

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_TEST_PACKETS_H_
