#include "agent/identity.h"

#include <fmt/format.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstring>
#include <iterator>

#include "core/file.h"
#include "core/text.h"

namespace portatlas::agent {
namespace {

constexpr size_t kMaxHostIdLength = 128;

bool IsVirtualInterface(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kPrefixes = {
      "docker", "br-",    "veth", "virbr", "cni",   "flannel",
      "cali",   "podman", "lxc",  "lxd",   "kube-", "vxlan"};
  return std::any_of(kPrefixes.begin(), kPrefixes.end(),
                     [&](std::string_view p) { return name.substr(0, p.size()) == p; });
}

// Lower is better; -1 means "not a candidate".
int Rank(const InterfaceAddress& a) {
  if (!a.up || a.loopback || a.addr.IsLoopback() || a.addr.IsUnspecified()) return -1;
  const auto& b = a.addr.bytes;
  const int virt = IsVirtualInterface(a.name) ? 1 : 0;
  if (a.addr.family == Family::kIpv4) {
    if (b[0] >= 224) return -1;                // multicast, reserved, broadcast
    if (b[0] == 169 && b[1] == 254) return 6;  // link-local
    return virt;
  }
  if (b[0] == 0xff) return -1;                           // multicast
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return -1;  // link-local fe80::/10
  if ((b[0] & 0xe0) == 0x20) return 2 + virt;            // global unicast 2000::/3
  if ((b[0] & 0xfe) == 0xfc) return 4 + virt;            // unique local fc00::/7
  return -1;  // v4-mapped, deprecated site-local and the like
}

}  // namespace

Result<std::string> ParseMachineId(std::string_view text) {
  const std::string_view id = Trim(text);
  if (id.empty()) return ParseError("machine id is empty");
  if (!IsHexOfLength(id, 32)) {
    return ParseError(fmt::format("machine id is not 32 hexadecimal digits ({} bytes)", id.size()));
  }
  std::string out(id);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out == std::string(32, '0')) return ParseError("machine id is all zeros");
  return out;
}

Result<std::string> ReadMachineId(const std::string& path) {
  // A machine-id file is 33 bytes; anything much larger is not one.
  constexpr size_t kMaxBytes = 256;
  auto text = ReadFileCapped(path, kMaxBytes);
  if (!text) {
    const ErrorKind kind =
        text.error().kind() == ErrorKind::kNotFound ? ErrorKind::kNotFound : ErrorKind::kParse;
    return Status(kind, fmt::format("{}; give the host id with --host-id", text.error().message()));
  }
  auto id = ParseMachineId(*text);
  if (!id) {
    return ParseError(
        fmt::format("{}: {}; give the host id with --host-id", path, id.error().message()));
  }
  return id;
}

Status ValidateHostId(std::string_view host_id) {
  if (host_id.empty() || host_id.size() > kMaxHostIdLength) {
    return InvalidArgument(fmt::format("host id must be 1-{} bytes", kMaxHostIdLength));
  }
  for (char c : host_id) {
    if (c <= ' ' || c > '~') {
      return InvalidArgument("host id must be printable ASCII without spaces");
    }
  }
  return Status::Ok();
}

std::string LocalHostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

std::string ChooseHostIp(const std::vector<InterfaceAddress>& addrs) {
  const InterfaceAddress* best = nullptr;
  int best_rank = INT_MAX;
  for (const InterfaceAddress& a : addrs) {
    const int r = Rank(a);
    if (r >= 0 && r < best_rank) {
      best = &a;
      best_rank = r;
    }
  }
  return best != nullptr ? best->addr.ToString() : "127.0.0.1";
}

std::vector<InterfaceAddress> LocalInterfaceAddresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    InterfaceAddress a;
    a.name = i->ifa_name != nullptr ? i->ifa_name : "";
    a.up = (i->ifa_flags & IFF_UP) != 0;
    a.loopback = (i->ifa_flags & IFF_LOOPBACK) != 0;
    if (i->ifa_addr->sa_family == AF_INET) {
      sockaddr_in sin;
      std::memcpy(&sin, i->ifa_addr, sizeof(sin));
      a.addr.family = Family::kIpv4;
      std::memcpy(a.addr.bytes.data(), &sin.sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      sockaddr_in6 sin6;
      std::memcpy(&sin6, i->ifa_addr, sizeof(sin6));
      a.addr.family = Family::kIpv6;
      std::memcpy(a.addr.bytes.data(), &sin6.sin6_addr, 16);
    } else {
      continue;
    }
    out.push_back(std::move(a));
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace portatlas::agent
