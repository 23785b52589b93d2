// ToSockaddr: an address and port as the sockaddr that connect() and sendto() take.
#ifndef PORTATLAS_SCAN_SOCKADDR_H_
#define PORTATLAS_SCAN_SOCKADDR_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>

#include "core/types.h"

namespace portatlas::scan {

inline socklen_t ToSockaddr(const IpAddr& ip, uint16_t port, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof(*ss));
  if (ip.family == Family::kIpv4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, ip.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  std::memcpy(&sin6->sin6_addr, ip.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_SOCKADDR_H_
