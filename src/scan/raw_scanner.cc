#include "scan/raw_scanner.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstdio>
#include <cstring>

#include "scan/pace_clock.h"
#include "scan/packet_io.h"
#include "scan/raw_engine.h"

namespace portatlas::scan {
namespace {

// Whether an interface of this namespace holds `ip`.
Result<bool> IsLocalAddress(const IpAddr& ip) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return ErrnoStatus(errno, "getifaddrs");
  bool found = false;
  for (const ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    if (a->ifa_addr->sa_family == AF_INET && ip.family == Family::kIpv4) {
      found = std::memcmp(&reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr,
                          ip.bytes.data(), 4) == 0;
    } else if (a->ifa_addr->sa_family == AF_INET6 && ip.family == Family::kIpv6) {
      found = std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr,
                          ip.bytes.data(), 16) == 0;
    }
  }
  freeifaddrs(list);
  return found;
}

bool SysctlOn(const char* path) {
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  int v = 0;
  const bool ok = std::fscanf(f, "%d", &v) == 1;
  std::fclose(f);
  return ok && v != 0;
}

// Whether this namespace accepts frames injected on lo from and to 127.0.0.0/8: without
// route_localnet they are martians, without accept_local a local source is refused.
bool LoopbackRoutable() {
  return SysctlOn("/proc/sys/net/ipv4/conf/lo/route_localnet") &&
         SysctlOn("/proc/sys/net/ipv4/conf/lo/accept_local");
}

// The path of each family of the targets: both must leave through one interface.
Result<RawPlan> PlanRawScan(const TargetSet& targets, const RawOptions& options) {
  RawPlan plan;
  for (const AddrRange& r : targets.ranges()) {
    const size_t f = FamilySlot(r.family);
    if (plan.have[f]) continue;
    NetPathOptions path_options = options.path;
    for (const IpAddr& src : options.sources) {
      if (src.family == r.family) path_options.source = src;
    }
    PA_ASSIGN_OR_RETURN(path, FindNetPath(FromAddr128(r.family, r.lo), path_options));
    if (plan.ifindex != 0 && path.ifindex != plan.ifindex) {
      return InvalidArgument(
          "IPv4 and IPv6 targets leave through different interfaces; scan them separately");
    }
    if (path.loopback && r.family == Family::kIpv4 && !LoopbackRoutable()) {
      return InvalidArgument(
          "Linux drops raw IPv4 frames to 127.0.0.0/8 (net.ipv4.conf.lo.route_localnet and "
          "accept_local are off); use --connect for loopback");
    }
    plan.ifindex = path.ifindex;
    plan.ifname = path.ifname;
    plan.tmpl[f].src = path.src;
    plan.tmpl[f].src_mac = path.src_mac;
    plan.tmpl[f].dst_mac = path.dst_mac;
    if (path_options.source && !path.loopback) {
      PA_ASSIGN_OR_RETURN(local, IsLocalAddress(path.src));
      if (!local) {
        plan.spare[f] = true;
        MacAddr mac = path.src_mac;
        mac[0] = static_cast<uint8_t>((mac[0] | 0x02) & 0xFE);  // locally administered unicast
        mac[5] = static_cast<uint8_t>(mac[5] ^ 0x5A);
        plan.tmpl[f].src_mac = options.source_mac.value_or(mac);
      }
    }
    plan.have[f] = true;
  }
  return plan;
}

}  // namespace

Result<RawStats> RawScan(const TargetSet& targets, const std::vector<uint16_t>& ports,
                         const RawOptions& options,
                         const std::function<void(const PortResult&)>& on_result,
                         const std::function<void(uint64_t, uint64_t)>& on_progress) {
  const uint64_t hosts = TargetIndex(targets).size();
  if (hosts == 0 || ports.empty()) return RawStats{};
  PA_RETURN_IF_ERROR(CheckProbeCount(hosts, ports.size()));
  PA_ASSIGN_OR_RETURN(plan, PlanRawScan(targets, options));
  AfPacketOptions link;
  link.ifindex = plan.ifindex;
  link.filter = ReceiveFilter(plan, ModuleFor(options.mode));
  link.tx_ring = options.tx_ring;
  link.promiscuous = plan.spare[0] || plan.spare[1];
  PA_ASSIGN_OR_RETURN(io, OpenAfPacket(link));
  return RunRawEngine(plan, targets, ports, options, *io, SteadyPaceClock(), on_result,
                      on_progress);
}

}  // namespace portatlas::scan
