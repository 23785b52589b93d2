#include "scan/packet_io.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "net/fd.h"

namespace portatlas::scan {
namespace {

class Mapping {
 public:
  Mapping() = default;
  Mapping(void* p, size_t n) : p_(static_cast<uint8_t*>(p)), n_(n) {}
  ~Mapping() {
    if (p_ != nullptr) munmap(p_, n_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  uint8_t* get() const { return p_; }

 private:
  uint8_t* p_ = nullptr;
  size_t n_ = 0;
};

Status SockOpt(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) return ErrnoStatus(errno, what);
  return Status::Ok();
}

Status BindTo(int fd, int ifindex, uint16_t protocol) {
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(protocol);
  sll.sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
    return ErrnoStatus(errno, "bind AF_PACKET");
  }
  return Status::Ok();
}

Status PacketSocketError(int err) {
  if (err == EPERM || err == EACCES) {
    return PermissionDenied("raw sockets need root or CAP_NET_RAW (run as root, or use --connect)");
  }
  return ErrnoStatus(err, "AF_PACKET socket");
}

// sendmmsg(): frames built in a private batch and copied by the kernel into linear buffers.
class MmsgTx final : public FrameSender {
 public:
  static constexpr size_t kBatch = 256;

  static Result<std::unique_ptr<FrameSender>> Open(int ifindex, size_t max_frame) {
    auto tx = std::unique_ptr<MmsgTx>(new MmsgTx());
    tx->fd_ = std::make_unique<net::Fd>(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
    const int fd = tx->fd_->get();
    if (fd < 0) return PacketSocketError(errno);
    (void)SockOpt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
    PA_RETURN_IF_ERROR(BindTo(fd, ifindex, 0));
    tx->stride_ = (max_frame + 63) / 64 * 64;
    tx->buf_.resize(tx->stride_ * kBatch);
    for (size_t i = 0; i < kBatch; ++i) {
      tx->iov_[i].iov_base = tx->buf_.data() + i * tx->stride_;
      tx->msgs_[i] = mmsghdr{};
      tx->msgs_[i].msg_hdr.msg_iov = &tx->iov_[i];
      tx->msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    return std::unique_ptr<FrameSender>(std::move(tx));
  }

  uint8_t* Next() override { return buf_.data() + n_ * stride_; }
  void Commit(size_t len) override {
    iov_[n_].iov_len = len;
    if (++n_ == kBatch) Flush();
  }
  void Flush() override {
    size_t off = 0;
    while (off < n_) {
      const int sent = sendmmsg(fd_->get(), msgs_ + off, static_cast<unsigned>(n_ - off), 0);
      if (sent > 0) {
        off += static_cast<size_t>(sent);
      } else if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) {
        pollfd pfd{fd_->get(), POLLOUT, 0};
        (void)poll(&pfd, 1, 1);
      } else {
        ++off;  // this frame is refused; go on with the rest
      }
    }
    n_ = 0;
  }

 private:
  MmsgTx() = default;
  std::unique_ptr<net::Fd> fd_;
  std::vector<uint8_t> buf_;
  size_t stride_ = 0;
  size_t n_ = 0;
  iovec iov_[kBatch]{};
  mmsghdr msgs_[kBatch]{};
};

// The transmit ring: frames written in place, flushed by one send() per batch.
class TxRing final : public FrameSender {
 public:
  static Result<std::unique_ptr<FrameSender>> Open(int ifindex, size_t max_frame) {
    auto ring = std::unique_ptr<TxRing>(new TxRing());
    ring->fd_ = std::make_unique<net::Fd>(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
    const int fd = ring->fd_->get();
    if (fd < 0) return PacketSocketError(errno);
    PA_RETURN_IF_ERROR(SockOpt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V2, "PACKET_VERSION"));
    (void)SockOpt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
    ring->data_off_ = TPACKET_ALIGN(sizeof(tpacket2_hdr));
    size_t frame = 128;
    while (frame < ring->data_off_ + max_frame) frame *= 2;
    tpacket_req req{};
    req.tp_frame_size = static_cast<unsigned>(frame);
    req.tp_block_size = 1 << 16;
    req.tp_frame_nr = 4096;
    req.tp_block_nr = static_cast<unsigned>(frame * req.tp_frame_nr / req.tp_block_size);
    if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0) {
      return ErrnoStatus(errno, "PACKET_TX_RING");
    }
    const size_t bytes = size_t{req.tp_block_size} * req.tp_block_nr;
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return ErrnoStatus(errno, "mmap TX ring");
    ring->map_ = std::make_unique<Mapping>(p, bytes);
    ring->frame_size_ = frame;
    ring->frames_ = req.tp_frame_nr;
    PA_RETURN_IF_ERROR(BindTo(fd, ifindex, 0));
    return std::unique_ptr<FrameSender>(std::move(ring));
  }

  // The next free frame's data area, or nullptr after waiting in vain.
  uint8_t* Next() override {
    auto* h = Header(cur_);
    for (int tries = 0; h->tp_status != TP_STATUS_AVAILABLE; ++tries) {
      if (h->tp_status == TP_STATUS_WRONG_FORMAT) {
        ++errors_;
        h->tp_status = TP_STATUS_AVAILABLE;
        break;
      }
      Flush();
      if (tries > 1000) return nullptr;
      pollfd pfd{fd_->get(), POLLOUT, 0};
      (void)poll(&pfd, 1, 1);
    }
    return reinterpret_cast<uint8_t*>(h) + data_off_;
  }

  void Commit(size_t len) override {
    auto* h = Header(cur_);
    h->tp_len = static_cast<uint32_t>(len);
    std::atomic_thread_fence(std::memory_order_release);
    h->tp_status = TP_STATUS_SEND_REQUEST;
    cur_ = (cur_ + 1) % frames_;
    ++pending_;
  }

  void Flush() override {
    if (pending_ == 0) return;
    while (send(fd_->get(), nullptr, 0, 0) < 0 && (errno == EINTR || errno == ENOBUFS)) {
    }
    pending_ = 0;
  }

  uint64_t errors() const { return errors_; }

 private:
  TxRing() = default;
  tpacket2_hdr* Header(size_t i) {
    return reinterpret_cast<tpacket2_hdr*>(map_->get() + i * frame_size_);
  }

  std::unique_ptr<net::Fd> fd_;
  std::unique_ptr<Mapping> map_;
  size_t data_off_ = 0;
  size_t frame_size_ = 0;
  size_t frames_ = 0;
  size_t cur_ = 0;
  size_t pending_ = 0;
  uint64_t errors_ = 0;
};

// The receive ring (TPACKET_V3): blocks of frames handed over by the kernel.
class RxRing {
 public:
  static Result<std::unique_ptr<RxRing>> Open(int ifindex, const std::string& filter) {
    auto ring = std::unique_ptr<RxRing>(new RxRing());
    ring->fd_ =
        std::make_unique<net::Fd>(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
    const int fd = ring->fd_->get();
    if (fd < 0) return PacketSocketError(errno);
    PA_RETURN_IF_ERROR(AttachFilter(fd, filter));
    PA_RETURN_IF_ERROR(SockOpt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3, "PACKET_VERSION"));
    (void)SockOpt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
    tpacket_req3 req{};
    req.tp_block_size = 1 << 20;
    req.tp_block_nr = 16;  // 16 MiB: a quarter second of replies at 500,000 a second
    req.tp_frame_size = 2048;
    req.tp_frame_nr = req.tp_block_size / req.tp_frame_size * req.tp_block_nr;
    req.tp_retire_blk_tov = 5;  // ms: a partly filled block reaches us after this
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) {
      return ErrnoStatus(errno, "PACKET_RX_RING");
    }
    const size_t bytes = size_t{req.tp_block_size} * req.tp_block_nr;
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
    if (p == MAP_FAILED) p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return ErrnoStatus(errno, "mmap RX ring");
    ring->map_ = std::make_unique<Mapping>(p, bytes);
    ring->block_size_ = req.tp_block_size;
    ring->blocks_ = req.tp_block_nr;
    PA_RETURN_IF_ERROR(BindTo(fd, ifindex, ETH_P_ALL));
    return ring;
  }

  // Calls fn(frame) for every frame of the next ready block; waits up to timeout_ms for one.
  void Poll(int timeout_ms, const PacketIo::FrameFn& fn) {
    auto* bd = reinterpret_cast<tpacket_block_desc*>(map_->get() + cur_ * block_size_);
    if ((bd->hdr.bh1.block_status & TP_STATUS_USER) == 0) {
      pollfd pfd{fd_->get(), POLLIN | POLLERR, 0};
      (void)poll(&pfd, 1, timeout_ms);
      if ((bd->hdr.bh1.block_status & TP_STATUS_USER) == 0) return;
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    auto* pkt = reinterpret_cast<uint8_t*>(bd) + bd->hdr.bh1.offset_to_first_pkt;
    for (uint32_t i = 0; i < bd->hdr.bh1.num_pkts; ++i) {
      auto* h = reinterpret_cast<tpacket3_hdr*>(pkt);
      fn(std::span<const uint8_t>(pkt + h->tp_mac, h->tp_snaplen));
      pkt += h->tp_next_offset;
    }
    std::atomic_thread_fence(std::memory_order_release);
    bd->hdr.bh1.block_status = TP_STATUS_KERNEL;
    cur_ = (cur_ + 1) % blocks_;
  }

  void Promiscuous(int ifindex) {
    packet_mreq mr{};
    mr.mr_ifindex = ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    (void)setsockopt(fd_->get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr);
  }

  // Frames the kernel dropped because the ring was full (reading resets the counter).
  uint64_t Drops() {
    tpacket_stats_v3 st{};
    socklen_t len = sizeof st;
    if (getsockopt(fd_->get(), SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0) return 0;
    return st.tp_drops;
  }

 private:
  RxRing() = default;

  // Compiles a tcpdump expression with libpcap and attaches it as the socket's BPF filter.
  static Status AttachFilter(int fd, const std::string& expr) {
    std::unique_ptr<pcap_t, void (*)(pcap_t*)> dead(pcap_open_dead(DLT_EN10MB, 65535), pcap_close);
    if (!dead) return InternalError("pcap_open_dead failed");
    bpf_program prog{};
    if (pcap_compile(dead.get(), &prog, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return InternalError(fmt::format("BPF filter '{}': {}", expr, pcap_geterr(dead.get())));
    }
    sock_fprog fprog{};
    fprog.len = static_cast<unsigned short>(prog.bf_len);
    fprog.filter = reinterpret_cast<sock_filter*>(prog.bf_insns);
    const int rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog);
    const int err = errno;
    pcap_freecode(&prog);
    if (rc < 0) return ErrnoStatus(err, "SO_ATTACH_FILTER");
    return Status::Ok();
  }

  std::unique_ptr<net::Fd> fd_;
  std::unique_ptr<Mapping> map_;
  size_t block_size_ = 0;
  size_t blocks_ = 0;
  size_t cur_ = 0;
};

class AfPacketIo final : public PacketIo {
 public:
  explicit AfPacketIo(const AfPacketOptions& o) : options_(o) {}

  // Closing a packet socket waits for an RCU grace period (tens of ms): close them all at once.
  ~AfPacketIo() override {
    std::vector<std::thread> closers;
    for (auto& s : senders_) closers.emplace_back([&s] { s.reset(); });
    closers.emplace_back([this] { rx_.reset(); });
    closers.emplace_back([this] { now_fd_.reset(); });
    for (auto& c : closers) c.join();
  }

  Status Open() {
    PA_ASSIGN_OR_RETURN(rx, RxRing::Open(options_.ifindex, options_.filter));
    rx_ = std::move(rx);
    now_fd_ = std::make_unique<net::Fd>(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
    if (!now_fd_->valid()) return PacketSocketError(errno);
    if (options_.promiscuous) rx_->Promiscuous(options_.ifindex);
    return Status::Ok();
  }

  Result<FrameSender*> OpenSender(size_t max_frame) override {
    PA_ASSIGN_OR_RETURN(s, options_.tx_ring ? TxRing::Open(options_.ifindex, max_frame)
                                            : MmsgTx::Open(options_.ifindex, max_frame));
    senders_.push_back(std::move(s));
    return senders_.back().get();
  }

  void Poll(int timeout_ms, const FrameFn& fn) override { rx_->Poll(timeout_ms, fn); }

  bool SendNow(std::span<const uint8_t> frame) override {
    if (frame.size() < 6) return false;
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = options_.ifindex;
    to.sll_halen = 6;
    std::memcpy(to.sll_addr, frame.data(), 6);
    return sendto(now_fd_->get(), frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to),
                  sizeof to) > 0;
  }

  uint64_t Drops() override { return rx_->Drops(); }

 private:
  AfPacketOptions options_;
  std::unique_ptr<RxRing> rx_;
  std::unique_ptr<net::Fd> now_fd_;
  std::vector<std::unique_ptr<FrameSender>> senders_;
};

}  // namespace

Result<std::unique_ptr<PacketIo>> OpenAfPacket(const AfPacketOptions& options) {
  auto io = std::make_unique<AfPacketIo>(options);
  PA_RETURN_IF_ERROR(io->Open());
  return std::unique_ptr<PacketIo>(std::move(io));
}

}  // namespace portatlas::scan
