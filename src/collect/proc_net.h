// Parser for /proc/net/{tcp,tcp6,udp,udp6}: the fallback when netlink sock_diag is missing.
//
// Line format (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c, net/ipv4/udp.c):
//   "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
//   ..." "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 12345
//   ..."
// Addresses are the raw in-memory bytes printed as 32-bit words in host byte order, 8 hex
// digits per word (1 word for IPv4, 4 for IPv6); ports are 4 hex digits in host order.
// Pure functions, thread-safe.
#ifndef PORTATLAS_COLLECT_PROC_NET_H_
#define PORTATLAS_COLLECT_PROC_NET_H_

#include <string>
#include <string_view>
#include <vector>

#include "collect/socket_entry.h"
#include "core/status.h"

namespace portatlas::collect {

// Parses one data line (not the header). Fails with kParse, naming the bad field, on a
// truncated or corrupted line.
Result<SocketEntry> ParseProcNetLine(std::string_view line, Proto proto, Family family);

struct ProcNetTable {
  std::vector<SocketEntry> entries;
  int bad_lines = 0;        // lines that failed to parse and were skipped
  std::string first_error;  // message of the first bad line, with its line number
};

// Parses a whole file: skips the header line and blank lines, keeps going past bad lines.
// With listening_only, keeps only the sockets IsListening() accepts.
ProcNetTable ParseProcNet(std::string_view content, Proto proto, Family family,
                          bool listening_only);

}  // namespace portatlas::collect

#endif  // PORTATLAS_COLLECT_PROC_NET_H_
