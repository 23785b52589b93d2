// NetPath: how frames to a target leave this machine, for the raw-socket scanner: the
// interface, our source address on it, our MAC and the next hop's MAC (the gateway's, or the
// target's own when it is on the link). Read from the kernel's routing and neighbour tables
// over rtnetlink, as `ip route get` and `ip neigh` do; a stateless scanner never ARPs itself.
#ifndef PORTATLAS_SCAN_NETPATH_H_
#define PORTATLAS_SCAN_NETPATH_H_

#include <optional>
#include <string>

#include "core/status.h"
#include "core/types.h"
#include "scan/packet.h"

namespace portatlas::scan {

struct NetPath {
  int ifindex = 0;
  std::string ifname;
  bool loopback = false;
  IpAddr src;
  IpAddr next_hop;
  MacAddr src_mac{};
  MacAddr dst_mac{};
};

struct NetPathOptions {
  std::string interface;              // required interface ("" = the route's)
  std::optional<IpAddr> source;       // source address ("" = the route's)
  std::optional<MacAddr> router_mac;  // next-hop MAC ("" = the neighbour table's)
  int resolve_timeout_ms = 2000;      // waiting for the neighbour entry
};

// The path to `target`. When the neighbour table has no entry for the next hop, one UDP
// datagram is sent to `target` port 9 (discard) through the normal stack so the kernel
// resolves it, and the table is read again until resolve_timeout_ms.
Result<NetPath> FindNetPath(const IpAddr& target, const NetPathOptions& options);

// "02:00:c6:12:01:fe" → bytes; nullopt when malformed.
std::optional<MacAddr> ParseMac(std::string_view text);
std::string MacToString(const MacAddr& m);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_NETPATH_H_
