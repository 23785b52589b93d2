// Collector: every listening TCP socket and bound (unconnected) UDP socket of the host, IPv4
// and IPv6, in every network namespace, with owning process and container.
//
// Steps: list pids; discover distinct namespaces (netns.h); per namespace, dump listeners over
// netlink sock_diag (entering it with setns) or, when netlink is unavailable, parse
// /proc/PID/net/{tcp,tcp6,udp,udp6} of a process inside it; map socket inodes to owners by one
// walk of /proc/PID/fd (owners.h); read name, executable and container of each owner once.
// Degradations (a namespace that could not be read, netlink missing) are reported as warnings,
// never silently. Not thread-safe; Collect() enters namespaces on the calling thread and always
// returns to the original one.
#ifndef PORTATLAS_COLLECT_COLLECTOR_H_
#define PORTATLAS_COLLECT_COLLECTOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "collect/netns.h"
#include "collect/proc_fs.h"
#include "collect/socket_entry.h"
#include "core/status.h"
#include "core/types.h"

namespace portatlas::collect {

enum class Backend { kAuto, kNetlink, kProc };

struct CollectorOptions {
  Backend backend = Backend::kAuto;
  // Directories of bind-mounted namespace files, for namespaces with no process inside.
  std::vector<std::string> netns_dirs = {"/run/netns"};
  // Threads for the /proc/PID/fd walk.
  int owner_threads = 2;
  // When non-empty, only these namespaces are listed: `ip netns` names, inode numbers, or
  // "self" for the collector's own. Others are skipped silently (an agent scoped to part of
  // the host, e.g. one per tenant namespace).
  std::vector<std::string> only_netns;
};

struct ListeningSocket {
  SockType type = SockType::kTcp;
  IpAddr laddr;
  uint16_t port = 0;
  uint32_t uid = 0;
  uint64_t inode = 0;
  uint64_t netns = 0;      // inode of the namespace the socket lives in
  std::string netns_name;  // `ip netns` name, "" when none
  int pid = 0;             // lowest owning pid; 0 when no owner is visible
  int sharers = 0;         // processes holding the socket
  std::string comm;
  std::string path;  // executable path
  bool exe_deleted = false;
  std::string container_id;
  std::string container_runtime;
};

struct Snapshot {
  std::vector<ListeningSocket> sockets;  // ordered by netns, type, port, laddr
  std::vector<std::string> warnings;     // what could not be seen, and why
  uint64_t own_netns = 0;                // the collector's own namespace
};

class Collector {
 public:
  // `proc` is borrowed and must outlive the collector.
  Collector(const ProcFs& proc, CollectorOptions options);

  // Fails only when the process list itself cannot be read; partial views are warnings.
  Result<Snapshot> Collect();

 private:
  // Listening sockets of one namespace through the configured backend; in auto mode it falls
  // back to /proc (and clears *netlink_works when netlink is missing altogether). On failure,
  // the error names the namespace and `out` is empty.
  bool Selected(const NetnsInfo& ns, uint64_t own_netns) const;
  Status ReadNamespace(const NetnsInfo& ns, uint64_t own_netns, bool* netlink_works,
                       std::vector<SocketEntry>* out, std::vector<std::string>* warnings) const;

  const ProcFs& proc_;
  CollectorOptions options_;
};

}  // namespace portatlas::collect

#endif  // PORTATLAS_COLLECT_COLLECTOR_H_
