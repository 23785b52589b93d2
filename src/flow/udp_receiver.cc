#include "flow/udp_receiver.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "core/text.h"

namespace portatlas::flow {
namespace {

constexpr size_t kControlBytes = CMSG_SPACE(sizeof(uint32_t));

IpAddr FromSockaddr(const sockaddr_storage& ss) {
  IpAddr a;
  if (ss.ss_family == AF_INET) {
    const auto& s4 = reinterpret_cast<const sockaddr_in&>(ss);
    std::memcpy(a.bytes.data(), &s4.sin_addr, 4);
    return a;
  }
  const auto& s6 = reinterpret_cast<const sockaddr_in6&>(ss);
  a.family = Family::kIpv6;
  std::memcpy(a.bytes.data(), &s6.sin6_addr, 16);
  return a;
}

socklen_t ToSockaddr(const ListenAddress& at, sockaddr_storage* ss) {
  *ss = {};
  if (at.ip.family == Family::kIpv4) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(at.port);
    std::memcpy(&s4->sin_addr, at.ip.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* s6 = reinterpret_cast<sockaddr_in6*>(ss);
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons(at.port);
  std::memcpy(&s6->sin6_addr, at.ip.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  std::string_view rest = text;
  if (rest.starts_with("udp://")) rest.remove_prefix(6);
  if (rest.find("://") != std::string_view::npos) {
    return InvalidArgument(fmt::format("'{}': only udp:// is collected", text));
  }
  std::string_view host;
  std::string_view port;
  if (rest.starts_with("[")) {
    const size_t close = rest.find("]:");
    if (close == std::string_view::npos) {
      return InvalidArgument(fmt::format("'{}': an IPv6 address goes as [ADDR]:PORT", text));
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      return InvalidArgument(fmt::format("'{}': give ADDR:PORT", text));
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return InvalidArgument(fmt::format("'{}': an IPv6 address goes as [ADDR]:PORT", text));
    }
  }
  auto ip = ParseIpAddr(host);
  if (!ip) return InvalidArgument(fmt::format("'{}': '{}' is not an IP address", text, host));
  auto n = ParseUint(port, 65535);
  if (!n) return InvalidArgument(fmt::format("'{}': the port must be 0-65535", text));
  return ListenAddress{*ip, static_cast<uint16_t>(*n)};
}

Result<std::unique_ptr<UdpReceiver>> UdpReceiver::Open(const ListenAddress& at, int rcvbuf_bytes) {
  std::unique_ptr<UdpReceiver> r(new UdpReceiver());
  const int family = at.ip.family == Family::kIpv4 ? AF_INET : AF_INET6;
  r->fd_.reset(socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!r->fd_.valid()) return ErrnoStatus(errno, "socket");
  const int fd = r->fd_.get();
  const int one = 1;
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  // Past net.core.rmem_max only with CAP_NET_ADMIN; otherwise the kernel caps the request.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes, sizeof(rcvbuf_bytes)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof(rcvbuf_bytes));
  }
  socklen_t len = sizeof(r->rcvbuf_);
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &r->rcvbuf_, &len);
  if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0) {
    return ErrnoStatus(errno, "setsockopt SO_RXQ_OVFL");
  }
  sockaddr_storage ss;
  const socklen_t ss_len = ToSockaddr(at, &ss);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&ss), ss_len) != 0) {
    return ErrnoStatus(errno, fmt::format("bind udp {}:{}", at.ip.ToString(), at.port));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  r->port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in&>(bound).sin_port
                                     : reinterpret_cast<sockaddr_in6&>(bound).sin6_port);
  r->buffers_.resize(kBatch * kMaxDatagram);
  r->controls_.resize(kBatch * kControlBytes);
  return r;
}

Result<size_t> UdpReceiver::Receive(int timeout_ms, const Handler& handle) {
  pollfd p{fd_.get(), POLLIN, 0};
  const int ready = poll(&p, 1, timeout_ms);
  if (ready < 0) return errno == EINTR ? Result<size_t>(size_t{0}) : ErrnoStatus(errno, "poll");
  if (ready == 0) return size_t{0};
  mmsghdr msgs[kBatch];
  iovec iovs[kBatch];
  sockaddr_storage from[kBatch];
  for (size_t i = 0; i < kBatch; ++i) {
    iovs[i] = {buffers_.data() + i * kMaxDatagram, kMaxDatagram};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
    msgs[i].msg_hdr.msg_control = controls_.data() + i * kControlBytes;
    msgs[i].msg_hdr.msg_controllen = kControlBytes;
  }
  const int n = recvmmsg(fd_.get(), msgs, kBatch, MSG_DONTWAIT, nullptr);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return size_t{0};
    return ErrnoStatus(errno, "recvmmsg");
  }
  for (int i = 0; i < n; ++i) {
    msghdr& h = msgs[i].msg_hdr;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        uint32_t dropped = 0;
        std::memcpy(&dropped, CMSG_DATA(c), sizeof(dropped));
        drops_ = dropped;  // the kernel's count since the socket was made
      }
    }
    ++datagrams_;
    if ((h.msg_flags & MSG_TRUNC) != 0) {
      ++truncated_;
      continue;
    }
    handle(FromSockaddr(from[i]),
           {buffers_.data() + static_cast<size_t>(i) * kMaxDatagram, msgs[i].msg_len});
  }
  return static_cast<size_t>(n);
}

}  // namespace portatlas::flow
