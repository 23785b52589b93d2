// PacketIo: the link the raw engine writes probe frames to and reads replies from. The real
// one is AF_PACKET on one interface (packet_io.cc); tests use an in-memory link (fake_link.h),
// so the engine's rounds, pacing and reply matching run without root.
#ifndef PORTATLAS_SCAN_PACKET_IO_H_
#define PORTATLAS_SCAN_PACKET_IO_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/status.h"

namespace portatlas::scan {

// Where one sending thread writes frames: Next() gives room for one frame, Commit() queues it,
// Flush() hands what is queued to the link. Used by one thread at a time.
class FrameSender {
 public:
  virtual ~FrameSender() = default;
  // Room for one frame of at most the max_frame given at opening; nullptr when the link has
  // stopped taking frames.
  virtual uint8_t* Next() = 0;
  virtual void Commit(size_t len) = 0;
  virtual void Flush() = 0;
};

class PacketIo {
 public:
  using FrameFn = std::function<void(std::span<const uint8_t>)>;

  virtual ~PacketIo() = default;
  // A sender for one thread, owned by this PacketIo and valid as long as it lives. Errors: no
  // permission, a socket or ring the kernel refused.
  virtual Result<FrameSender*> OpenSender(size_t max_frame) = 0;
  // Waits up to timeout_ms for received frames and calls fn for each frame that came. For the
  // receiving thread only.
  virtual void Poll(int timeout_ms, const FrameFn& fn) = 0;
  // Sends one whole Ethernet frame at once (an RST, a neighbour advertisement), to the MAC in
  // its first six bytes; true when the link took it. For the receiving thread only.
  virtual bool SendNow(std::span<const uint8_t> frame) = 0;
  // Frames the link dropped before they could be read (since the last call).
  virtual uint64_t Drops() { return 0; }
};

struct AfPacketOptions {
  int ifindex = 0;
  std::string filter;        // tcpdump syntax, compiled with libpcap: what the receive ring sees
  bool tx_ring = false;      // senders write to a PACKET_MMAP ring instead of sendmmsg()
  bool promiscuous = false;  // frames for another MAC (a spare source's) must reach the ring
};

// AF_PACKET on one interface: a TPACKET_V3 receive ring behind the BPF filter, one socket for
// SendNow, and a socket (and ring) per sender. Closing waits for the kernel to let go of every
// socket at once (each close takes an RCU grace period). Errors: PermissionDenied without root
// or CAP_NET_RAW; the socket, filter or ring the kernel refused.
Result<std::unique_ptr<PacketIo>> OpenAfPacket(const AfPacketOptions& options);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_PACKET_IO_H_
