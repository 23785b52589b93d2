#include "core/types.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace portatlas {

SockType MakeSockType(Proto proto, Family family) {
  if (proto == Proto::kTcp) return family == Family::kIpv4 ? SockType::kTcp : SockType::kTcp6;
  return family == Family::kIpv4 ? SockType::kUdp : SockType::kUdp6;
}

Proto SockTypeProto(SockType t) {
  return (t == SockType::kTcp || t == SockType::kTcp6) ? Proto::kTcp : Proto::kUdp;
}

std::string_view SockTypeName(SockType t) {
  switch (t) {
    case SockType::kTcp:
      return "TCP";
    case SockType::kTcp6:
      return "TCP6";
    case SockType::kUdp:
      return "UDP";
    case SockType::kUdp6:
      return "UDP6";
  }
  return "TCP";
}

std::optional<SockType> ParseSockType(std::string_view s) {
  if (s == "TCP") return SockType::kTcp;
  if (s == "TCP6") return SockType::kTcp6;
  if (s == "UDP") return SockType::kUdp;
  if (s == "UDP6") return SockType::kUdp6;
  return std::nullopt;
}

std::string_view ProtoName(Proto p) { return p == Proto::kTcp ? "tcp" : "udp"; }

std::string_view RiskStatusName(RiskStatus s) {
  switch (s) {
    case RiskStatus::kDanger:
      return "danger";
    case RiskStatus::kNormal:
      return "normal";
    case RiskStatus::kUnknow:
      return "unknow";
  }
  return "unknow";
}

std::optional<RiskStatus> ParseRiskStatus(std::string_view s) {
  if (s == "danger") return RiskStatus::kDanger;
  if (s == "normal") return RiskStatus::kNormal;
  if (s == "unknow" || s == "unknown") return RiskStatus::kUnknow;
  return std::nullopt;
}

std::string IpAddr::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  const int af = family == Family::kIpv4 ? AF_INET : AF_INET6;
  if (inet_ntop(af, bytes.data(), buf, sizeof(buf)) == nullptr) return "?";
  return buf;
}

bool IpAddr::IsLoopback() const {
  if (family == Family::kIpv4) return bytes[0] == 127;
  static constexpr std::array<uint8_t, 16> kLoop6 = {0, 0, 0, 0, 0, 0, 0, 0,
                                                     0, 0, 0, 0, 0, 0, 0, 1};
  if (bytes == kLoop6) return true;
  // ::ffff:127.x.y.z
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(bytes.data(), kMapped, 12) == 0 && bytes[12] == 127;
}

bool IpAddr::IsUnspecified() const {
  const size_t n = family == Family::kIpv4 ? 4 : 16;
  return std::all_of(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n),
                     [](uint8_t b) { return b == 0; });
}

std::optional<IpAddr> ParseIpAddr(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddr a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = Family::kIpv4;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.family = Family::kIpv6;
    return a;
  }
  return std::nullopt;
}

}  // namespace portatlas
