// Host identity as the agent reports it: host id, host name and the host's main address.
//
// Everything here reads local state only (files, gethostname, getifaddrs): nothing opens a
// socket or sends a packet to find an address. Functions are thread-safe.
#ifndef PORTATLAS_AGENT_IDENTITY_H_
#define PORTATLAS_AGENT_IDENTITY_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace portatlas::agent {

// The host id from the text of a machine-id(5) file: 32 hexadecimal digits, surrounding
// whitespace ignored, returned in lower case. Empty text, "uninitialized" (systemd's value
// before first boot completes), an all-zero id and anything else fail with kParse.
Result<std::string> ParseMachineId(std::string_view text);

// ParseMachineId of the file at `path` (e.g. /etc/machine-id); NotFound/Io when unreadable.
// The error names the file and suggests --host-id.
Result<std::string> ReadMachineId(const std::string& path);

// Checks an operator-given host id (--host-id) against the ingest contract: 1-128 bytes of
// printable ASCII without spaces. InvalidArgument otherwise.
Status ValidateHostId(std::string_view host_id);

// gethostname(2); "" when it fails.
std::string LocalHostName();

struct InterfaceAddress {
  std::string name;  // e.g. "eth0"
  bool up = false;
  bool loopback = false;
  IpAddr addr;
};

// The host's main address among `addrs` (in getifaddrs order), as text. Candidates are up,
// non-loopback, and neither unspecified, multicast nor IPv6 link-local. Preference, earliest in
// order first within a rank: IPv4 on a physical interface; IPv4 on a virtual one (docker0,
// br-*, veth*, virbr*, cni*, flannel*, cali*, podman*, lxc*, lxd*, kube-*, vxlan*); global
// IPv6, physical then virtual; unique-local IPv6 (fc00::/7); IPv4 link-local (169.254/16).
// "127.0.0.1" when nothing qualifies.
std::string ChooseHostIp(const std::vector<InterfaceAddress>& addrs);

// The host's interface addresses from getifaddrs(3), IPv4 and IPv6 only; empty when it fails.
std::vector<InterfaceAddress> LocalInterfaceAddresses();

}  // namespace portatlas::agent

#endif  // PORTATLAS_AGENT_IDENTITY_H_
