#include "scan/test_frames.h"

#include <cstring>
#include <utility>

#include "core/types.h"

namespace portatlas::scan::testframes {
namespace {

bool IsV4(const std::vector<uint8_t>& f) { return f[12] == 0x08; }
size_t IpLen(const std::vector<uint8_t>& f) { return IsV4(f) ? 20 : 40; }

// Swaps the IP addresses and the transport ports of a frame.
void SwapEnds(std::vector<uint8_t>& f) {
  uint8_t* ip = f.data() + 14;
  const size_t off = IsV4(f) ? 12 : 8;
  const size_t n = IsV4(f) ? 4 : 16;
  uint8_t tmp[16];
  std::memcpy(tmp, ip + off, n);
  std::memcpy(ip + off, ip + off + n, n);
  std::memcpy(ip + off + n, tmp, n);
  uint8_t* l4 = ip + IpLen(f);
  std::swap(l4[0], l4[2]);
  std::swap(l4[1], l4[3]);
}

}  // namespace

std::vector<uint8_t> AnswerTo(std::vector<uint8_t> probe, uint8_t flags, uint32_t ack) {
  SwapEnds(probe);
  uint8_t* tcp = probe.data() + 14 + IpLen(probe);
  tcp[8] = static_cast<uint8_t>(ack >> 24);
  tcp[9] = static_cast<uint8_t>(ack >> 16);
  tcp[10] = static_cast<uint8_t>(ack >> 8);
  tcp[11] = static_cast<uint8_t>(ack);
  tcp[13] = flags;
  return probe;
}

std::vector<uint8_t> UdpAnswerTo(std::vector<uint8_t> probe) {
  SwapEnds(probe);
  return probe;
}

std::vector<uint8_t> Unreachable(const std::vector<uint8_t>& probe, const char* router,
                                 uint8_t code) {
  const bool v4 = IsV4(probe);
  const auto iplen = static_cast<std::ptrdiff_t>(IpLen(probe));
  std::vector<uint8_t> icmp = {static_cast<uint8_t>(v4 ? 3 : 1), code, 0, 0, 0, 0, 0, 0};
  icmp.insert(icmp.end(), probe.begin() + 14, probe.begin() + 14 + iplen + 8);
  // The probe's own headers, turned around: from the router to the prober.
  std::vector<uint8_t> f(probe.begin(), probe.begin() + 14 + iplen);
  uint8_t* ip = f.data() + 14;
  const size_t off = v4 ? 12 : 8;
  const size_t n = v4 ? 4 : 16;
  std::memcpy(ip + off + n, probe.data() + 14 + off, n);  // dst: the probe's source
  const IpAddr from = *ParseIpAddr(router);
  std::memcpy(ip + off, from.bytes.data(), n);
  if (v4) {
    ip[9] = 1;
    ip[2] = static_cast<uint8_t>((20 + icmp.size()) >> 8);
    ip[3] = static_cast<uint8_t>(20 + icmp.size());
  } else {
    ip[6] = 58;
    ip[4] = static_cast<uint8_t>(icmp.size() >> 8);
    ip[5] = static_cast<uint8_t>(icmp.size());
  }
  f.insert(f.end(), icmp.begin(), icmp.end());
  return f;
}

}  // namespace portatlas::scan::testframes
