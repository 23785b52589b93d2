#include "flow/test_packets.h"

#include "core/check.h"
#include "core/types.h"

namespace portatlas::flow {
namespace {

void Put16(std::vector<uint8_t>& b, size_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

}  // namespace

std::vector<uint8_t> EthernetFrame(const TestPacket& p, bool vlan) {
  const auto src = ParseIpAddr(p.src);
  const auto dst = ParseIpAddr(p.dst);
  PA_CHECK(src && dst && src->family == dst->family);
  const bool v4 = src->family == Family::kIpv4;
  std::vector<uint8_t> l4;
  Put16(l4, p.sport);
  Put16(l4, p.dport);
  if (p.proto == 6) {
    for (int i = 0; i < 8; ++i) l4.push_back(0);  // seq, ack
    l4.push_back(0x50);                           // 20-byte header
    l4.push_back(p.tcp_flags);
    Put16(l4, 65535);
    Put16(l4, 0);
    Put16(l4, 0);
  } else {
    Put16(l4, 8 + p.payload.size());
    Put16(l4, 0);
  }
  l4.insert(l4.end(), p.payload.begin(), p.payload.end());
  std::vector<uint8_t> f = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
  if (vlan) {
    Put16(f, 0x8100);
    Put16(f, 7);
  }
  Put16(f, v4 ? 0x0800 : 0x86dd);
  if (v4) {
    f.push_back(0x45);
    f.push_back(0);
    Put16(f, 20 + l4.size());
    Put16(f, 0);
    Put16(f, 0x4000);  // DF, first fragment
    f.push_back(64);
    f.push_back(p.proto);
    Put16(f, 0);
    f.insert(f.end(), src->bytes.begin(), src->bytes.begin() + 4);
    f.insert(f.end(), dst->bytes.begin(), dst->bytes.begin() + 4);
  } else {
    f.insert(f.end(), {0x60, 0, 0, 0});
    Put16(f, l4.size());
    f.push_back(p.proto);
    f.push_back(64);
    f.insert(f.end(), src->bytes.begin(), src->bytes.end());
    f.insert(f.end(), dst->bytes.begin(), dst->bytes.end());
  }
  f.insert(f.end(), l4.begin(), l4.end());
  return f;
}

}  // namespace portatlas::flow
