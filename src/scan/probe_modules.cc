#include "scan/probe_modules.h"

#include <array>

#include "core/check.h"

namespace portatlas::scan {
namespace {

constexpr uint16_t kSportBase = 61000;  // above Linux's ephemeral range (32768-60999)
constexpr uint16_t kSportSpan = 4535;   // 61000..65534

size_t BuildSyn(const FrameTemplate& t, const IpAddr& dst, uint16_t port, uint64_t cookie,
                std::span<const uint8_t>, uint8_t* out) {
  return BuildTcpSyn(t, dst, SportOf(cookie), port, SeqOf(cookie), out);
}

std::optional<ProbeVerdict> JudgeSyn(const Reply& r, uint64_t cookie) {
  if ((r.tcp_flags & kTcpAck) == 0 || r.ack != SeqOf(cookie) + 1) return std::nullopt;
  if ((r.tcp_flags & (kTcpSyn | kTcpRst)) == kTcpSyn) {
    return ProbeVerdict{PortState::kOpen, "syn-ack", true};
  }
  if ((r.tcp_flags & kTcpRst) != 0) return ProbeVerdict{PortState::kClosed, "reset", false};
  return std::nullopt;
}

bool SynQuoted(const Reply& r, uint64_t cookie) {
  return r.sport == SportOf(cookie) && r.seq == SeqOf(cookie);
}

size_t BuildUdpProbe(const FrameTemplate& t, const IpAddr& dst, uint16_t port, uint64_t cookie,
                     std::span<const uint8_t> payload, uint8_t* out) {
  return BuildUdp(t, dst, SportOf(cookie), port, payload, out);
}

std::optional<ProbeVerdict> JudgeUdp(const Reply&, uint64_t) {
  return ProbeVerdict{PortState::kOpen, "udp-response", false};
}

bool UdpQuoted(const Reply& r, uint64_t cookie) { return r.sport == SportOf(cookie); }

// The table: one line a probe kind.
constexpr std::array<ProbeModule, 2> kModules = {{
    {RawMode::kSyn, Proto::kTcp, 14 + 40 + 24, "tcp or icmp or icmp6", PortState::kFiltered, false,
     BuildSyn, JudgeSyn, SynQuoted},
    {RawMode::kUdp, Proto::kUdp, kMaxFrame, "udp or icmp or icmp6", PortState::kOpenFiltered, true,
     BuildUdpProbe, JudgeUdp, UdpQuoted},
}};

}  // namespace

uint16_t SportOf(uint64_t cookie) {
  return static_cast<uint16_t>(kSportBase + (cookie >> 32) % kSportSpan);
}
uint32_t SeqOf(uint64_t cookie) { return static_cast<uint32_t>(cookie); }

const ProbeModule& ModuleFor(RawMode mode) {
  for (const ProbeModule& m : kModules) {
    if (m.mode == mode) return m;
  }
  PA_CHECK(false) << "no probe module for mode " << static_cast<int>(mode);
  return kModules[0];
}

}  // namespace portatlas::scan
