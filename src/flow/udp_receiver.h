// UdpReceiver: the collector's NetFlow/IPFIX socket. Datagrams come in batches of up to
// kBatch with one recvmmsg call; the socket asks for a large receive buffer (raising the
// kernel's cap with SO_RCVBUFFORCE where the process may) and for SO_RXQ_OVFL, so that every
// datagram the kernel dropped because the buffer was full is counted and reported, never lost
// silently.
#ifndef PORTATLAS_FLOW_UDP_RECEIVER_H_
#define PORTATLAS_FLOW_UDP_RECEIVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "net/fd.h"

namespace portatlas::flow {

struct ListenAddress {
  IpAddr ip;
  uint16_t port = 0;
};

// "udp://198.18.0.1:2055", "udp://[::1]:4739", or the same without "udp://". kInvalidArgument
// saying what is wrong otherwise.
Result<ListenAddress> ParseListenAddress(std::string_view text);

class UdpReceiver {
 public:
  static constexpr size_t kBatch = 64;
  static constexpr size_t kMaxDatagram = 65535;

  // Binds a socket to `at` (port 0: any) asking for `rcvbuf_bytes` of receive buffer.
  static Result<std::unique_ptr<UdpReceiver>> Open(const ListenAddress& at, int rcvbuf_bytes);

  using Handler = std::function<void(const IpAddr& from, std::span<const uint8_t> datagram)>;
  // Waits up to timeout_ms for datagrams; hands each of one batch to `handle` (the span is valid
  // during the call only). Returns how many; 0 on timeout or EINTR.
  Result<size_t> Receive(int timeout_ms, const Handler& handle);

  uint16_t port() const { return port_; }
  int rcvbuf_bytes() const { return rcvbuf_; }  // what the kernel granted
  uint64_t kernel_drops() const { return drops_; }
  uint64_t datagrams() const { return datagrams_; }
  uint64_t truncated() const { return truncated_; }  // larger than kMaxDatagram: dropped

 private:
  UdpReceiver() = default;

  net::Fd fd_;
  uint16_t port_ = 0;
  int rcvbuf_ = 0;
  uint64_t drops_ = 0;
  uint64_t datagrams_ = 0;
  uint64_t truncated_ = 0;
  std::vector<uint8_t> buffers_;
  std::vector<uint8_t> controls_;
};

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_UDP_RECEIVER_H_
