// Shared value types: socket types and IP endpoints as portatlas names them.
#ifndef PORTATLAS_CORE_TYPES_H_
#define PORTATLAS_CORE_TYPES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portatlas {

enum class Proto : uint8_t { kTcp, kUdp };
enum class Family : uint8_t { kIpv4, kIpv6 };

// The HSS socket type: TCP, TCP6, UDP or UDP6. An IPv6 socket (dual-stack or v4-mapped
// included) is TCP6/UDP6; only AF_INET sockets are TCP/UDP.
enum class SockType : uint8_t { kTcp, kTcp6, kUdp, kUdp6 };

SockType MakeSockType(Proto proto, Family family);
Proto SockTypeProto(SockType t);
// "TCP", "TCP6", "UDP", "UDP6".
std::string_view SockTypeName(SockType t);
// Parses the names above (exact, upper case); nullopt otherwise.
std::optional<SockType> ParseSockType(std::string_view s);
// "tcp" or "udp".
std::string_view ProtoName(Proto p);

// HSS port status, ordered by severity. "unknow" is the HSS spelling, kept on output
// (product.md decision 1).
enum class RiskStatus : uint8_t { kUnknow = 0, kNormal = 1, kDanger = 2 };

// "danger", "normal", "unknow".
std::string_view RiskStatusName(RiskStatus s);
// Accepts the names above and "unknown" as an alias of "unknow"; nullopt otherwise.
std::optional<RiskStatus> ParseRiskStatus(std::string_view s);

// An IP address in network byte order. IPv4 uses the first four bytes.
struct IpAddr {
  Family family = Family::kIpv4;
  std::array<uint8_t, 16> bytes{};

  // Text form: dotted quad, or RFC 5952 IPv6 (inet_ntop), e.g. "::ffff:127.0.0.1".
  std::string ToString() const;
  bool IsLoopback() const;
  bool IsUnspecified() const;
  friend bool operator==(const IpAddr&, const IpAddr&) = default;
};

// Parses an IPv4 or IPv6 literal (no brackets, no zone); nullopt when malformed.
std::optional<IpAddr> ParseIpAddr(std::string_view text);

}  // namespace portatlas

#endif  // PORTATLAS_CORE_TYPES_H_
