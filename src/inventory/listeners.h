// The listening endpoints the inventory knows in a project: what the traffic collector takes as
// the server side of a flow before any port rule (flow/classify.h, rule 1).
//   - every socket an agent reported, at its address, or at the host's reported address
//     (host_ip) when it listens on a wildcard (0.0.0.0, ::); loopback sockets are left out
//     (no flow from elsewhere reaches them);
//   - every record in state open of the project's scan tasks.
#ifndef PORTATLAS_INVENTORY_LISTENERS_H_
#define PORTATLAS_INVENTORY_LISTENERS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "store/store.h"

namespace portatlas::inventory {

struct Listener {
  IpAddr ip;
  Proto proto = Proto::kTcp;
  uint16_t port = 0;
  bool from_scan = false;  // else from an agent
  friend bool operator==(const Listener&, const Listener&) = default;
};

// At most `max` listeners (agents' first, then scans'), without duplicates, in no stated order.
// `eps`: the enterprise projects whose hosts count.
Result<std::vector<Listener>> KnownListeners(store::Store& store, const std::string& project,
                                             const std::vector<std::string>& eps, size_t max);

}  // namespace portatlas::inventory

#endif  // PORTATLAS_INVENTORY_LISTENERS_H_
