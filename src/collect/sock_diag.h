// Netlink sock_diag (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY): the interface `ss` uses.
//
// A netlink socket reports the sockets of the network namespace it was created in, so the
// collector opens one SockDiag per namespace (see netns.h). Dumps carry a kernel-side state
// filter: only TCP LISTEN and unconnected UDP sockets cross into user space, so the cost
// scales with listeners, not with connections.
// A SockDiag is move-only and not thread-safe; ParseSockDiagReply is pure.
#ifndef PORTATLAS_COLLECT_SOCK_DIAG_H_
#define PORTATLAS_COLLECT_SOCK_DIAG_H_

#include <cstdint>
#include <span>
#include <vector>

#include "collect/socket_entry.h"
#include "core/status.h"

namespace portatlas::collect {

// Parses one datagram of a dump reply (a run of netlink messages) and appends the sockets it
// describes to `out`. Sets *done when NLMSG_DONE is seen. A NLMSG_ERROR message becomes its
// errno's Status; malformed lengths or short payloads become kParse (nothing past the bad
// message is read). Messages of other types are skipped.
Status ParseSockDiagReply(std::span<const uint8_t> datagram, Proto proto,
                          std::vector<SocketEntry>* out, bool* done);

class SockDiag {
 public:
  // Opens a NETLINK_SOCK_DIAG socket in the calling thread's current network namespace.
  // kUnavailable when the kernel has no sock_diag.
  static Result<SockDiag> Open();

  SockDiag(SockDiag&& other) noexcept;
  SockDiag& operator=(SockDiag&& other) noexcept;
  SockDiag(const SockDiag&) = delete;
  SockDiag& operator=(const SockDiag&) = delete;
  ~SockDiag();

  // Dumps the sockets of one family and protocol whose state bit is set in `state_mask`
  // (bit n = TCP state n) and appends them to `out`.
  Status Dump(Family family, Proto proto, uint32_t state_mask, std::vector<SocketEntry>* out);

  // Dumps TCP LISTEN and UDP unconnected sockets, IPv4 and IPv6.
  Status DumpListening(std::vector<SocketEntry>* out);

 private:
  static constexpr size_t kRecvBufferBytes = 64 * 1024;
  explicit SockDiag(int fd) : fd_(fd) {}
  int fd_ = -1;
  uint32_t seq_ = 0;
  std::vector<uint8_t> buf_;
};

}  // namespace portatlas::collect

#endif  // PORTATLAS_COLLECT_SOCK_DIAG_H_
