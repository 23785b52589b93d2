#include "scan/raw_scanner.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "net/fd.h"
#include "scan/keyed.h"
#include "scan/packet.h"

namespace portatlas::scan {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint16_t kSportBase = 61000;  // above Linux's ephemeral range (32768-60999)
constexpr uint16_t kSportSpan = 4535;   // 61000..65534

uint16_t SportOf(uint64_t h) { return static_cast<uint16_t>(kSportBase + (h >> 32) % kSportSpan); }
uint32_t SeqOf(uint64_t h) { return static_cast<uint32_t>(h); }

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

// Where a sender writes frames: Next() gives room for one frame, Commit() queues it, Flush()
// hands what is queued to the kernel in one system call.
class Transmitter {
 public:
  virtual ~Transmitter() = default;
  virtual uint8_t* Next() = 0;  // nullptr when the kernel stopped taking frames
  virtual void Commit(size_t len) = 0;
  virtual void Flush() = 0;
};

// sendmmsg(): frames built in a private batch and copied by the kernel into linear buffers.
class MmsgTx final : public Transmitter {
 public:
  static constexpr size_t kBatch = 256;

  static Result<std::unique_ptr<Transmitter>> Open(int ifindex, size_t max_frame) {
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
    return std::unique_ptr<Transmitter>(std::move(tx));
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
class TxRing final : public Transmitter {
 public:
  static Result<std::unique_ptr<Transmitter>> Open(int ifindex, size_t max_frame) {
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
    return std::unique_ptr<Transmitter>(std::move(ring));
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
  template <typename Fn>
  void Poll(int timeout_ms, Fn&& fn) {
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

// One bit per probe, set once by the receive thread, read by the transmit thread.
class Bitmap {
 public:
  explicit Bitmap(uint64_t bits) : words_((bits + 63) / 64) {
    const size_t bytes = std::max<size_t>(words_ * sizeof(uint64_t), 1);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    map_ = std::make_unique<Mapping>(p, bytes);
  }
  // True when the bit was clear (the first reply for this probe).
  bool Set(uint64_t i) {
    const uint64_t mask = uint64_t{1} << (i % 64);
    return (Word(i / 64).fetch_or(mask, std::memory_order_relaxed) & mask) == 0;
  }
  bool Test(uint64_t i) {
    return (Word(i / 64).load(std::memory_order_relaxed) >> (i % 64) & 1) != 0;
  }

 private:
  std::atomic<uint64_t>& Word(uint64_t w) {
    return reinterpret_cast<std::atomic<uint64_t>*>(map_->get())[w];
  }
  uint64_t words_;
  std::unique_ptr<Mapping> map_;
};

struct Shared {
  const TargetIndex* index = nullptr;
  const std::vector<uint16_t>* ports = nullptr;
  std::array<int32_t, 65536> port_pos{};  // port -> position in ports, -1 when not scanned
  RawMode mode = RawMode::kSyn;
  const ProbeKey* key = nullptr;
  std::array<FrameTemplate, 2> tmpl{};  // by family
  std::array<bool, 2> have{};
  std::array<bool, 2> spare{};  // the source is not this machine's: answer neighbour lookups
  std::atomic<uint64_t> neighbor_replies{0};
  Bitmap* answered = nullptr;
  std::atomic<uint64_t> answered_count{0};
  std::atomic<uint64_t> replies{0};
  std::atomic<uint64_t> rsts{0};
  std::atomic<uint64_t> open{0}, closed{0}, filtered{0};
  std::atomic<bool> rx_stop{false};
  const std::function<void(const PortResult&)>* on_result = nullptr;
};

// Whether an interface of this namespace holds `ip`.
Result<bool> IsLocalAddress(const IpAddr& ip) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return ErrnoStatus(errno, "getifaddrs");
  bool found = false;
  for (const ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    if (a->ifa_addr->sa_family == AF_INET && ip.family == Family::kIpv4) {
      found = std::memcmp(&reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr,
                          ip.bytes.data(), 4) == 0;
    } else if (a->ifa_addr->sa_family == AF_INET6 && ip.family == Family::kIpv6) {
      found = std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr,
                          ip.bytes.data(), 16) == 0;
    }
  }
  freeifaddrs(list);
  return found;
}

bool SysctlOn(const char* path) {
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  int v = 0;
  const bool ok = std::fscanf(f, "%d", &v) == 1;
  std::fclose(f);
  return ok && v != 0;
}

// Whether this namespace accepts frames injected on lo from and to 127.0.0.0/8: without
// route_localnet they are martians, without accept_local a local source is refused.
bool LoopbackRoutable() {
  return SysctlOn("/proc/sys/net/ipv4/conf/lo/route_localnet") &&
         SysctlOn("/proc/sys/net/ipv4/conf/lo/accept_local");
}

// One sender per CPU, at most 4.
uint64_t DefaultSenders() {
  return std::clamp<uint64_t>(std::thread::hardware_concurrency(), 1, 4);
}

// At most one sender per 1,000 probes/s of a set rate, so each paces at a useful rate.
uint64_t rate_per_thread_cap(uint64_t rate) {
  return rate == 0 ? ~uint64_t{0} : std::max<uint64_t>(1, rate / 1000);
}

size_t Fam(Family f) { return f == Family::kIpv4 ? 0 : 1; }

// The probe (position in the bitmap) a reply answers, when it is one of ours.
std::optional<uint64_t> ProbeOf(Shared& s, const IpAddr& target, uint16_t port) {
  const int32_t p = s.port_pos[port];
  if (p < 0) return std::nullopt;
  const auto t = s.index->IndexOf(target);
  if (!t) return std::nullopt;
  return uint64_t(static_cast<uint32_t>(p)) * s.index->size() + *t;
}

void Receive(Shared& s, RxRing& rx, int rst_fd, int ifindex) {
  CookieHasher hasher(*s.key);
  uint8_t frame[kMaxFrame];
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  to.sll_halen = 6;
  const Proto proto = s.mode == RawMode::kSyn ? Proto::kTcp : Proto::kUdp;
  auto handle = [&](std::span<const uint8_t> bytes) {
    if (s.spare[0] || s.spare[1]) {
      if (auto sol = DecodeNeighborSolicit(bytes)) {
        const size_t f = Fam(sol->target.family);
        if (s.spare[f] && sol->target == s.tmpl[f].src) {
          const size_t len = BuildNeighborAdvert(*sol, s.tmpl[f].src_mac, frame);
          std::memcpy(to.sll_addr, frame, 6);
          if (sendto(rst_fd, frame, len, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) > 0) {
            s.neighbor_replies.fetch_add(1, std::memory_order_relaxed);
          }
        }
        return;
      }
    }
    auto r = DecodeFrame(bytes);
    if (!r) return;
    const size_t fam = Fam(r->dst.family);
    if (!s.have[fam] || !(r->dst == s.tmpl[fam].src)) return;
    PortResult res;
    uint64_t probe = 0;
    if (r->kind == ReplyKind::kIcmpUnreach) {
      if (r->quoted_proto != proto) return;
      auto pr = ProbeOf(s, r->quoted_dst, r->dport);
      if (!pr) return;
      const uint64_t h = hasher.Hash(r->quoted_dst, r->dport, proto);
      if (r->sport != SportOf(h)) return;
      if (proto == Proto::kTcp && r->seq != SeqOf(h)) return;
      probe = *pr;
      res.ip = r->quoted_dst;
      res.port = r->dport;
      const bool closed = IcmpPortUnreachable(*r) && proto == Proto::kUdp;
      res.state = closed ? PortState::kClosed : PortState::kFiltered;
      res.reason = IcmpReason(*r);
    } else {
      if ((r->kind == ReplyKind::kTcp) != (proto == Proto::kTcp)) return;
      auto pr = ProbeOf(s, r->src, r->sport);
      if (!pr) return;
      const uint64_t h = hasher.Hash(r->src, r->sport, proto);
      if (r->dport != SportOf(h)) return;
      probe = *pr;
      res.ip = r->src;
      res.port = r->sport;
      if (r->kind == ReplyKind::kTcp) {
        if ((r->tcp_flags & kTcpAck) == 0 || r->ack != SeqOf(h) + 1) return;
        if ((r->tcp_flags & (kTcpSyn | kTcpRst)) == kTcpSyn) {
          res.state = PortState::kOpen;
          res.reason = "syn-ack";
          // Tear the half-open connection down at once.
          const size_t len = BuildTcpRst(s.tmpl[fam], r->src, r->dport, r->sport, r->ack, frame);
          std::memcpy(to.sll_addr, s.tmpl[fam].dst_mac.data(), 6);
          if (sendto(rst_fd, frame, len, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) > 0) {
            s.rsts.fetch_add(1, std::memory_order_relaxed);
          }
        } else if ((r->tcp_flags & kTcpRst) != 0) {
          res.state = PortState::kClosed;
          res.reason = "reset";
        } else {
          return;
        }
      } else {
        res.state = PortState::kOpen;
        res.reason = "udp-response";
      }
    }
    res.proto = proto;
    s.replies.fetch_add(1, std::memory_order_relaxed);
    if (!s.answered->Set(probe)) return;  // a duplicate or a late reply to a resend
    s.answered_count.fetch_add(1, std::memory_order_relaxed);
    switch (res.state) {
      case PortState::kOpen:
        s.open.fetch_add(1, std::memory_order_relaxed);
        break;
      case PortState::kClosed:
        s.closed.fetch_add(1, std::memory_order_relaxed);
        break;
      default:
        s.filtered.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    if (*s.on_result) (*s.on_result)(res);
  };
  while (!s.rx_stop.load(std::memory_order_acquire)) rx.Poll(5, handle);
  // Whatever is already in the ring still counts.
  for (int i = 0; i < 64; ++i) rx.Poll(0, handle);
}

std::string FilterFor(const Shared& s, RawMode mode) {
  std::string hosts;
  for (size_t f = 0; f < 2; ++f) {
    if (!s.have[f]) continue;
    if (!hosts.empty()) hosts += " or ";
    hosts += "dst host " + s.tmpl[f].src.ToString();
  }
  const char* protos = mode == RawMode::kSyn ? "tcp or icmp or icmp6" : "udp or icmp or icmp6";
  std::string expr = fmt::format("(({}) and ({}))", protos, hosts);
  if (s.spare[0]) expr += " or arp";
  if (s.spare[1]) expr += " or (icmp6 and ip6[40] == 135)";
  return expr;
}

}  // namespace

Result<RawStats> RawScan(const TargetSet& targets, const std::vector<uint16_t>& ports,
                         const RawOptions& options,
                         const std::function<void(const PortResult&)>& on_result,
                         const std::function<void(uint64_t, uint64_t)>& on_progress) {
  RawStats stats;
  const TargetIndex index(targets);
  const uint64_t hosts = index.size();
  if (hosts == 0 || ports.empty()) return stats;
  if (hosts > kMaxRawProbes / ports.size()) {
    return InvalidArgument(fmt::format(
        "{} addresses x {} ports is more than {} probes in one raw scan; split the targets", hosts,
        ports.size(), kMaxRawProbes));
  }
  const uint64_t total = hosts * ports.size();

  Shared s;
  s.index = &index;
  s.ports = &ports;
  s.port_pos.fill(-1);
  for (size_t i = 0; i < ports.size(); ++i) s.port_pos[ports[i]] = static_cast<int32_t>(i);
  s.mode = options.mode;
  s.on_result = &on_result;

  // One path per family present; both must leave through one interface.
  int ifindex = 0;
  for (const AddrRange& r : targets.ranges()) {
    const size_t f = Fam(r.family);
    if (s.have[f]) continue;
    const IpAddr first = FromAddr128(r.family, r.lo);
    NetPathOptions path_options = options.path;
    for (const IpAddr& src : options.sources) {
      if (src.family == r.family) path_options.source = src;
    }
    PA_ASSIGN_OR_RETURN(path, FindNetPath(first, path_options));
    if (ifindex != 0 && path.ifindex != ifindex) {
      return InvalidArgument(
          "IPv4 and IPv6 targets leave through different interfaces; scan them separately");
    }
    if (path.loopback && r.family == Family::kIpv4 && !LoopbackRoutable()) {
      return InvalidArgument(
          "Linux drops raw IPv4 frames to 127.0.0.0/8 (net.ipv4.conf.lo.route_localnet and "
          "accept_local are off); use --connect for loopback");
    }
    ifindex = path.ifindex;
    stats.interface = path.ifname;
    s.tmpl[f].src = path.src;
    s.tmpl[f].src_mac = path.src_mac;
    if (path_options.source && !path.loopback) {
      PA_ASSIGN_OR_RETURN(local, IsLocalAddress(path.src));
      if (!local) {
        s.spare[f] = true;
        MacAddr mac = path.src_mac;
        mac[0] = static_cast<uint8_t>((mac[0] | 0x02) & 0xFE);  // locally administered unicast
        mac[5] = static_cast<uint8_t>(mac[5] ^ 0x5A);
        s.tmpl[f].src_mac = options.source_mac.value_or(mac);
      }
    }
    s.tmpl[f].dst_mac = path.dst_mac;
    s.have[f] = true;
  }

  const uint64_t seed = options.seed != 0 ? options.seed : ProbeKey::RandomSeed();
  const ProbeKey key(seed);
  s.key = &key;
  stats.seed = seed;
  const Permutation perm(total, key);
  Bitmap answered(total);
  s.answered = &answered;

  PA_ASSIGN_OR_RETURN(rx, RxRing::Open(ifindex, FilterFor(s, options.mode)));
  auto rst_fd = std::make_unique<net::Fd>(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (rst_fd->get() < 0) return PacketSocketError(errno);
  if (s.spare[0] || s.spare[1]) {
    // Frames for the spare source's MAC must reach the ring on a real NIC too.
    rx->Promiscuous(ifindex);
  }
  std::thread receiver([&] { Receive(s, *rx, rst_fd->get(), ifindex); });

  const bool syn = options.mode == RawMode::kSyn;
  const auto stopped = [&] {
    return options.stop != nullptr && options.stop->load(std::memory_order_relaxed);
  };

  // Senders: each a thread with its own ring, taking every n-th position of the order, so the
  // kernel's work for each frame (it runs in the sender's context) spreads over the CPUs.
  struct Sender {
    std::unique_ptr<Transmitter> ring;
    std::unique_ptr<CookieHasher> hasher;
    std::atomic<uint64_t> frames{0};
    uint64_t next = 0;  // first round: the first of its positions not sent
    uint64_t resent = 0;
    bool failed = false;
  };
  const uint64_t threads = std::max<uint64_t>(
      1,
      std::min<uint64_t>({options.tx_threads > 0 ? uint64_t(options.tx_threads) : DefaultSenders(),
                          rate_per_thread_cap(options.rate_pps), total}));
  std::vector<std::unique_ptr<Sender>> senders;
  for (uint64_t k = 0; k < threads; ++k) {
    auto snd = std::make_unique<Sender>();
    const size_t max_frame = syn ? 14 + 40 + 24 : kMaxFrame;
    PA_ASSIGN_OR_RETURN(ring, options.tx_ring ? TxRing::Open(ifindex, max_frame)
                                              : MmsgTx::Open(ifindex, max_frame));
    snd->ring = std::move(ring);
    snd->hasher = std::make_unique<CookieHasher>(key);
    senders.push_back(std::move(snd));
  }
  const uint64_t rate = options.rate_pps / threads;  // per sender
  // Frames per flush: about 0.5 ms of the rate, at most 256.
  const uint64_t batch = rate == 0 ? 256 : std::clamp<uint64_t>(rate / 2000, 1, 256);

  // Sends sender k's share of positions [from, total): all of them in the first round, the
  // unanswered ones in a resend round.
  auto send_share = [&](Sender& snd, uint64_t k, int round) {
    const bool first = round == 0;
    Transmitter& tx = *snd.ring;
    CookieHasher& hasher = *snd.hasher;
    const auto pace_start = Clock::now();
    uint64_t paced = 0;
    uint64_t i = options.start_index + k;
    bool stop = stopped();
    for (; i < total && !stop; i += threads) {
      const uint64_t j = perm(i);
      if (!first && answered.Test(j)) continue;
      const uint64_t t = j % hosts;
      const uint16_t port = ports[j / hosts];
      const IpAddr dst = index.At(t);
      const uint64_t h = hasher.Hash(dst, port, syn ? Proto::kTcp : Proto::kUdp);
      uint8_t* frame = tx.Next();
      if (frame == nullptr) {
        snd.failed = true;
        break;
      }
      const FrameTemplate& tm = s.tmpl[Fam(dst.family)];
      const size_t len = syn ? BuildTcpSyn(tm, dst, SportOf(h), port, SeqOf(h), frame)
                             : BuildUdp(tm, dst, SportOf(h), port,
                                        options.udp_payload ? options.udp_payload(port, round)
                                                            : std::span<const uint8_t>(),
                                        frame);
      tx.Commit(len);
      snd.frames.fetch_add(1, std::memory_order_relaxed);
      if (!first) ++snd.resent;
      if (++paced % batch == 0) {
        tx.Flush();
        stop = stopped();
        if (rate != 0) {
          std::this_thread::sleep_until(pace_start +
                                        std::chrono::nanoseconds(paced * 1'000'000'000ULL / rate));
        }
      }
    }
    tx.Flush();
    if (first) snd.next = std::min(i, total);
  };
  auto sent_now = [&] {
    uint64_t n = 0;
    for (const auto& snd : senders) n += snd->frames.load(std::memory_order_relaxed);
    return n;
  };
  auto last_progress = Clock::now();
  // Runs one round on every sender; reports progress meanwhile.
  auto run_round = [&](int round) {
    std::vector<std::thread> workers;
    std::atomic<uint64_t> running{threads};
    for (uint64_t k = 0; k < threads; ++k) {
      workers.emplace_back([&, k] {
        send_share(*senders[k], k, round);
        running.fetch_sub(1);
      });
    }
    while (running.load() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      const auto now = Clock::now();
      if (on_progress && now - last_progress >= std::chrono::milliseconds(100)) {
        last_progress = now;
        on_progress(std::min(options.start_index + sent_now(), total), total);
      }
    }
    for (auto& w : workers) w.join();
  };
  uint64_t sent_first = total;
  // Waits for replies after a round: until everything is answered or wait_ms has passed.
  auto drain = [&] {
    const auto until = Clock::now() + std::chrono::milliseconds(options.wait_ms);
    while (Clock::now() < until &&
           s.answered_count.load(std::memory_order_relaxed) < sent_first - options.start_index) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };
  auto failed = [&] {
    for (const auto& snd : senders) {
      if (snd->failed) return true;
    }
    return false;
  };

  if (s.spare[0] || s.spare[1]) {
    // A spare source is unknown to the next hop until it asks for it and we answer: send the
    // first probe alone and give that exchange a moment, so the first replies are not queued
    // (and dropped) behind an unresolved neighbour.
    Transmitter& tx = *senders[0]->ring;
    const uint64_t j = perm(options.start_index);
    const IpAddr dst = index.At(j % hosts);
    const uint16_t port = ports[j / hosts];
    const uint64_t h = senders[0]->hasher->Hash(dst, port, syn ? Proto::kTcp : Proto::kUdp);
    const FrameTemplate& tm = s.tmpl[Fam(dst.family)];
    uint8_t* frame = tx.Next();
    if (frame != nullptr) {
      tx.Commit(syn ? BuildTcpSyn(tm, dst, SportOf(h), port, SeqOf(h), frame)
                    : BuildUdp(tm, dst, SportOf(h), port, std::span<const uint8_t>(), frame));
      tx.Flush();
      const auto until = Clock::now() + std::chrono::milliseconds(300);
      while (Clock::now() < until && s.answered_count.load() == 0 &&
             s.neighbor_replies.load() == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }
  const auto send_start = Clock::now();
  run_round(0);
  stats.send_seconds = std::chrono::duration<double>(Clock::now() - send_start).count();
  for (const auto& snd : senders) sent_first = std::min(sent_first, snd->next);
  stats.next_index = sent_first;
  stats.rounds = 1;
  Status error = failed() ? Unavailable("the transmit ring stopped draining") : Status::Ok();
  if (error.ok()) drain();
  for (int round = 0; round < options.retries && error.ok() && !stopped(); ++round) {
    if (s.answered_count.load(std::memory_order_relaxed) >= sent_first - options.start_index) {
      break;
    }
    const uint64_t before = stats.resent;
    run_round(round + 1);
    stats.resent = 0;
    for (const auto& snd : senders) stats.resent += snd->resent;
    ++stats.rounds;
    if (failed()) error = Unavailable("the transmit ring stopped draining");
    if (stats.resent == before) break;
    drain();
  }
  stats.frames = sent_now();
  if (on_progress) on_progress(sent_first, total);
  s.rx_stop.store(true, std::memory_order_release);
  receiver.join();
  stats.interrupted = stopped();

  // What never answered: filtered (TCP) or open|filtered (UDP), for the probes that were sent.
  for (uint64_t i = options.start_index; i < sent_first; ++i) {
    const uint64_t j = perm(i);
    if (answered.Test(j)) continue;
    PortResult res;
    res.ip = index.At(j % hosts);
    res.port = ports[j / hosts];
    res.proto = syn ? Proto::kTcp : Proto::kUdp;
    res.state = syn ? PortState::kFiltered : PortState::kOpenFiltered;
    res.reason = "no-response";
    ++(syn ? stats.filtered : stats.open_filtered);
    if (on_result) on_result(res);
  }
  // Closing a packet socket waits for an RCU grace period (tens of ms): close them all at once.
  {
    std::vector<std::thread> closers;
    for (auto& snd : senders) closers.emplace_back([&snd] { snd->ring.reset(); });
    closers.emplace_back([&rx] { rx.reset(); });
    closers.emplace_back([&rst_fd] { rst_fd.reset(); });
    for (auto& c : closers) c.join();
  }
  stats.probes = stats.frames;
  stats.open = s.open.load();
  stats.closed = s.closed.load();
  stats.filtered += s.filtered.load();
  stats.replies = s.replies.load();
  stats.rsts = s.rsts.load();
  stats.neighbor_replies = s.neighbor_replies.load();
  if (!error.ok()) return error;
  return stats;
}

}  // namespace portatlas::scan
