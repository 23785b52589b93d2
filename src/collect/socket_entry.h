// SocketEntry: one socket as the kernel describes it, before owners are attached.
#ifndef PORTATLAS_COLLECT_SOCKET_ENTRY_H_
#define PORTATLAS_COLLECT_SOCKET_ENTRY_H_

#include <cstdint>

#include "core/types.h"

namespace portatlas::collect {

// TCP states as the kernel numbers them (include/net/tcp_states.h).
inline constexpr uint8_t kTcpEstablished = 1;
inline constexpr uint8_t kTcpClose = 7;  // an unconnected UDP socket is in this state
inline constexpr uint8_t kTcpListen = 10;

struct SocketEntry {
  Proto proto = Proto::kTcp;
  IpAddr addr;  // local address; family decides TCP vs TCP6
  uint16_t port = 0;
  uint8_t state = 0;
  uint32_t uid = 0;
  uint64_t inode = 0;  // socket inode, the join key with /proc/PID/fd links
};

// True for the sockets portatlas reports: TCP in LISTEN, UDP unconnected (state CLOSE), as
// `ss -tul` shows them.
inline bool IsListening(const SocketEntry& e) {
  return e.proto == Proto::kTcp ? e.state == kTcpListen : e.state == kTcpClose;
}

}  // namespace portatlas::collect

#endif  // PORTATLAS_COLLECT_SOCKET_ENTRY_H_
