#include "collect/sock_diag.h"

#include <fmt/format.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace portatlas::collect {
namespace {

template <typename T>
T LoadAt(std::span<const uint8_t> buf, size_t offset) {
  T v;
  std::memcpy(&v, buf.data() + offset, sizeof(T));  // netlink data need not be aligned for T
  return v;
}

SocketEntry FromDiagMsg(const inet_diag_msg& m, Proto proto) {
  SocketEntry e;
  e.proto = proto;
  e.addr.family = m.idiag_family == AF_INET ? Family::kIpv4 : Family::kIpv6;
  std::memcpy(e.addr.bytes.data(), m.id.idiag_src, e.addr.family == Family::kIpv4 ? 4 : 16);
  e.port = ntohs(m.id.idiag_sport);
  e.state = m.idiag_state;
  e.uid = m.idiag_uid;
  e.inode = m.idiag_inode;
  return e;
}

}  // namespace

Status ParseSockDiagReply(std::span<const uint8_t> datagram, Proto proto,
                          std::vector<SocketEntry>* out, bool* done) {
  size_t off = 0;
  while (datagram.size() - off >= sizeof(nlmsghdr)) {
    const auto hdr = LoadAt<nlmsghdr>(datagram, off);
    if (hdr.nlmsg_len < sizeof(nlmsghdr) || hdr.nlmsg_len > datagram.size() - off) {
      return ParseError(fmt::format("netlink message length {} at offset {} of {}", hdr.nlmsg_len,
                                    off, datagram.size()));
    }
    const size_t payload = hdr.nlmsg_len - sizeof(nlmsghdr);
    const size_t body = off + sizeof(nlmsghdr);
    if (hdr.nlmsg_type == NLMSG_DONE) {
      *done = true;
      return Status::Ok();
    }
    if (hdr.nlmsg_type == NLMSG_ERROR) {
      if (payload < sizeof(int)) return ParseError("short netlink error message");
      // The kernel sends 0 (an ACK) or a negative errno; anything else is a corrupt message
      // (and INT_MIN could not even be negated).
      const int code = LoadAt<int>(datagram, body);
      if (code == 0) {  // an ACK, not an error
        *done = true;
        return Status::Ok();
      }
      if (code > 0 || code < -4095) {
        return ParseError(fmt::format("netlink error code {} is not a negative errno", code));
      }
      return ErrnoStatus(-code, "sock_diag dump");
    }
    if (hdr.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      if (payload < sizeof(inet_diag_msg)) {
        return ParseError(fmt::format("inet_diag_msg of {} bytes", payload));
      }
      const auto msg = LoadAt<inet_diag_msg>(datagram, body);
      if (msg.idiag_family != AF_INET && msg.idiag_family != AF_INET6) {
        return ParseError(fmt::format("inet_diag_msg family {}", msg.idiag_family));
      }
      out->push_back(FromDiagMsg(msg, proto));
    }
    off += NLMSG_ALIGN(hdr.nlmsg_len);
    if (off > datagram.size()) break;  // last message without alignment padding
  }
  if (off < datagram.size()) {
    return ParseError(fmt::format("{} trailing bytes in netlink datagram", datagram.size() - off));
  }
  return Status::Ok();
}

Result<SockDiag> SockDiag::Open() {
  const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return ErrnoStatus(errno, "socket(NETLINK_SOCK_DIAG)");
  return SockDiag(fd);
}

SockDiag::SockDiag(SockDiag&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), seq_(other.seq_), buf_(std::move(other.buf_)) {}

SockDiag& SockDiag::operator=(SockDiag&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    seq_ = other.seq_;
    buf_ = std::move(other.buf_);
  }
  return *this;
}

SockDiag::~SockDiag() {
  if (fd_ >= 0) ::close(fd_);
}

Status SockDiag::Dump(Family family, Proto proto, uint32_t state_mask,
                      std::vector<SocketEntry>* out) {
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof(msg);
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = ++seq_;
  msg.req.sdiag_family = family == Family::kIpv4 ? AF_INET : AF_INET6;
  msg.req.sdiag_protocol = proto == Proto::kTcp ? IPPROTO_TCP : IPPROTO_UDP;
  msg.req.idiag_states = state_mask;

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, &msg, sizeof(msg), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) <
      0) {
    return ErrnoStatus(errno, "sendto(sock_diag)");
  }
  // Dump datagrams are at most 32 KiB; MSG_TRUNC reports a larger one instead of cutting it.
  buf_.resize(kRecvBufferBytes);
  bool done = false;
  while (!done) {
    const ssize_t n = ::recv(fd_, buf_.data(), buf_.size(), MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "recv(sock_diag)");
    }
    if (n == 0) return IoError("sock_diag: connection closed during dump");
    if (static_cast<size_t>(n) > buf_.size()) {
      return IoError(fmt::format("sock_diag: datagram of {} bytes truncated", n));
    }
    PA_RETURN_IF_ERROR(ParseSockDiagReply(
        std::span<const uint8_t>(buf_.data(), static_cast<size_t>(n)), proto, out, &done));
  }
  return Status::Ok();
}

Status SockDiag::DumpListening(std::vector<SocketEntry>* out) {
  for (Family f : {Family::kIpv4, Family::kIpv6}) {
    PA_RETURN_IF_ERROR(Dump(f, Proto::kTcp, 1u << kTcpListen, out));
    PA_RETURN_IF_ERROR(Dump(f, Proto::kUdp, 1u << kTcpClose, out));
  }
  return Status::Ok();
}

}  // namespace portatlas::collect
