// Which side of a flow is the server, and whether its client is on the internet.
//
// Server side, in order (docs/traffic.md):
//   1. the endpoint (address, protocol, port) the inventory knows as listening: an agent's
//      report or a scan record in state open (the collector fetches them from the server);
//   2. else the endpoint on a well-known port: below 1024, or named in the services database
//      and below 32768 (Linux's ephemeral range starts there, so a client's port is not taken
//      for a service);
//   3. else, when exactly one endpoint is on the internet, the other one: the inventory's
//      servers are inside (a passive FTP data port above the client's port is still ours);
//   4. else the endpoint on the lower port.
// When both endpoints pass the same rule, the lower port wins, and on equal ports the
// destination.
//
// Internet: an address is internet unless it lies in a special-purpose block that is not
// globally reachable (RFC 6890 and the IANA registries: private, loopback, link-local, CGN,
// documentation, benchmarking, multicast, reserved; for IPv6 also ULA, link-local and the IETF
// protocol block less its reachable parts) or in a range the operator marks internal. Ranges the
// operator marks internet (`--internet`) count as internet whatever else they are: the tests play
// the internet from 198.19.0.0/16. An IPv4-mapped IPv6 address is judged as its IPv4 address.
#ifndef PORTATLAS_FLOW_CLASSIFY_H_
#define PORTATLAS_FLOW_CLASSIFY_H_

#include <bitset>
#include <cstdint>
#include <memory>
#include <unordered_set>

#include "core/addr_set.h"
#include "core/types.h"
#include "flow/flow_record.h"

namespace portatlas::flow {

// Listening endpoints the inventory knows. Thread-compatible: rebuilt, then swapped in whole.
class ListenerSet {
 public:
  void Add(const IpAddr& ip, Proto proto, uint16_t port);
  bool Contains(const IpAddr& ip, Proto proto, uint16_t port) const;
  size_t size() const { return keys_.size(); }

 private:
  struct Hash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& k) const;
  };
  std::unordered_set<std::pair<uint64_t, uint64_t>, Hash> keys_;
};

// Ports that count as well-known per protocol (rule 2).
class WellKnownPorts {
 public:
  WellKnownPorts();                      // every port below 1024
  void Add(Proto proto, uint16_t port);  // a services-database port below 32768
  bool Contains(Proto proto, uint16_t port) const {
    return (proto == Proto::kTcp ? tcp_ : udp_).test(port);
  }

 private:
  std::bitset<65536> tcp_;
  std::bitset<65536> udp_;
};

class InternetRanges {
 public:
  // `internet` overrides everything; `internal` adds to the special-purpose ranges.
  InternetRanges(AddrSet internet, AddrSet internal);
  bool IsInternet(const IpAddr& ip) const;

 private:
  AddrSet internet_;
  AddrSet not_internet_;  // special-purpose and operator-internal
};

// The special-purpose ranges alone (for tests and documentation).
AddrSet SpecialPurposeRanges();

enum class ServerRule : uint8_t { kListener = 1, kWellKnown = 2, kInside = 3, kLowerPort = 4 };

struct Orientation {
  bool server_is_dst = true;
  ServerRule rule = ServerRule::kLowerPort;
};

// The orientation of a TCP or UDP flow (other protocols have no ports; callers skip them).
// Without `internet`, rule 3 is skipped.
Orientation Orient(const FlowRecord& f, Proto proto, const ListenerSet& listeners,
                   const WellKnownPorts& well_known, const InternetRanges* internet = nullptr);

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_CLASSIFY_H_
