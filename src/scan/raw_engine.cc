#include "scan/raw_engine.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <thread>

#include "scan/keyed.h"

namespace portatlas::scan {
namespace {

using Duration = PaceClock::Duration;
using std::chrono::milliseconds;
using OnResult = std::function<void(const PortResult&)>;
using OnProgress = std::function<void(uint64_t, uint64_t)>;

// One bit per probe, set once by the receiving thread, read by the senders. Anonymous memory:
// pages are zero and taken only when touched, so a sparse 512 MiB bitmap costs what is used.
class Bitmap {
 public:
  static Result<std::unique_ptr<Bitmap>> Create(uint64_t bits) {
    const size_t bytes = std::max<size_t>((bits + 63) / 64 * sizeof(uint64_t), 1);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      return ErrnoStatus(errno, fmt::format("a bitmap of {} bytes for the answered probes", bytes));
    }
    return std::unique_ptr<Bitmap>(new Bitmap(p, bytes));
  }
  ~Bitmap() { munmap(words_, bytes_); }
  Bitmap(const Bitmap&) = delete;
  Bitmap& operator=(const Bitmap&) = delete;

  // True when the bit was clear (the first reply for this probe).
  bool Set(uint64_t i) {
    const uint64_t mask = uint64_t{1} << (i % 64);
    return (words_[i / 64].fetch_or(mask, std::memory_order_relaxed) & mask) == 0;
  }
  bool Test(uint64_t i) const {
    return (words_[i / 64].load(std::memory_order_relaxed) >> (i % 64) & 1) != 0;
  }

 private:
  Bitmap(void* p, size_t bytes) : words_(static_cast<std::atomic<uint64_t>*>(p)), bytes_(bytes) {}
  std::atomic<uint64_t>* words_;
  size_t bytes_;
};

// What the receiving thread tells the rest.
struct Counters {
  std::atomic<uint64_t> answered{0};  // probes with a first valid reply
  std::atomic<uint64_t> replies{0};   // valid replies, duplicates included
  std::atomic<uint64_t> rsts{0};
  std::atomic<uint64_t> neighbor_replies{0};
  std::atomic<uint64_t> open{0}, closed{0}, filtered{0};
};

// What the engine's parts share, read-only once a run starts.
struct Scan {
  const RawPlan& plan;
  const ProbeModule& module;
  const TargetIndex& index;
  const std::vector<uint16_t>& ports;
  std::vector<int32_t> port_pos;  // port -> position in ports, -1 when not scanned
  const ProbeKey& key;
  Bitmap& answered;
  Counters& counters;
  uint64_t total = 0;

  // The probe (position in the bitmap) a reply from (target, port) answers, when ours.
  std::optional<uint64_t> ProbeOf(const IpAddr& target, uint16_t port) const {
    const int32_t p = port_pos[port];
    if (p < 0) return std::nullopt;
    const auto t = index.IndexOf(target);
    if (!t) return std::nullopt;
    return uint64_t(static_cast<uint32_t>(p)) * index.size() + *t;
  }
};

// The receiving thread: judges every frame the link gives it.
class Receiver {
 public:
  Receiver(const Scan& s, PacketIo& io, const OnResult& on_result)
      : s_(s), io_(io), on_result_(on_result), hasher_(s.key) {}

  void Loop(const std::stop_token& stop) {
    const PacketIo::FrameFn fn = [this](std::span<const uint8_t> bytes) { Handle(bytes); };
    while (!stop.stop_requested()) io_.Poll(5, fn);
    // Whatever has already arrived still counts.
    for (int i = 0; i < 64; ++i) io_.Poll(0, fn);
  }

 private:
  void Handle(std::span<const uint8_t> bytes) {
    if ((s_.plan.spare[0] || s_.plan.spare[1]) && AnswerNeighbor(bytes)) return;
    auto r = DecodeFrame(bytes);
    if (!r) return;
    const size_t fam = FamilySlot(r->dst.family);
    if (!s_.plan.have[fam] || !(r->dst == s_.plan.tmpl[fam].src)) return;
    if (r->kind == ReplyKind::kIcmpUnreach) return HandleIcmp(*r);
    if ((r->kind == ReplyKind::kTcp) != (s_.module.proto == Proto::kTcp)) return;
    HandleDirect(*r, fam);
  }

  // A neighbour solicitation for a spare source gets our answer; true when `bytes` was one.
  bool AnswerNeighbor(std::span<const uint8_t> bytes) {
    auto sol = DecodeNeighborSolicit(bytes);
    if (!sol) return false;
    const size_t f = FamilySlot(sol->target.family);
    if (s_.plan.spare[f] && sol->target == s_.plan.tmpl[f].src) {
      const size_t len = BuildNeighborAdvert(*sol, s_.plan.tmpl[f].src_mac, frame_);
      if (io_.SendNow({frame_, len})) {
        s_.counters.neighbor_replies.fetch_add(1, std::memory_order_relaxed);
      }
    }
    return true;
  }

  void HandleIcmp(const Reply& r) {
    if (r.quoted_proto != s_.module.proto) return;
    const auto probe = s_.ProbeOf(r.quoted_dst, r.dport);
    if (!probe) return;
    if (!s_.module.quote_matches(r, hasher_.Hash(r.quoted_dst, r.dport, s_.module.proto))) return;
    PortResult res;
    res.ip = r.quoted_dst;
    res.port = r.dport;
    const bool closed = s_.module.port_unreach_is_closed && IcmpPortUnreachable(r);
    res.state = closed ? PortState::kClosed : PortState::kFiltered;
    res.reason = IcmpReason(r);
    Record(*probe, res);
  }

  void HandleDirect(const Reply& r, size_t fam) {
    const auto probe = s_.ProbeOf(r.src, r.sport);
    if (!probe) return;
    const uint64_t cookie = hasher_.Hash(r.src, r.sport, s_.module.proto);
    if (r.dport != SportOf(cookie)) return;
    const auto verdict = s_.module.judge(r, cookie);
    if (!verdict) return;
    if (verdict->send_rst) {
      // Tear the half-open connection down at once.
      const size_t len = BuildTcpRst(s_.plan.tmpl[fam], r.src, r.dport, r.sport, r.ack, frame_);
      if (io_.SendNow({frame_, len})) s_.counters.rsts.fetch_add(1, std::memory_order_relaxed);
    }
    PortResult res;
    res.ip = r.src;
    res.port = r.sport;
    res.state = verdict->state;
    res.reason = verdict->reason;
    Record(*probe, res);
  }

  void Record(uint64_t probe, PortResult res) {
    res.proto = s_.module.proto;
    Counters& c = s_.counters;
    c.replies.fetch_add(1, std::memory_order_relaxed);
    if (!s_.answered.Set(probe)) return;  // a duplicate, or a late reply to a resend
    c.answered.fetch_add(1, std::memory_order_relaxed);
    switch (res.state) {
      case PortState::kOpen:
        c.open.fetch_add(1, std::memory_order_relaxed);
        break;
      case PortState::kClosed:
        c.closed.fetch_add(1, std::memory_order_relaxed);
        break;
      default:
        c.filtered.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    if (on_result_) on_result_(res);
  }

  const Scan& s_;
  PacketIo& io_;
  const OnResult& on_result_;
  CookieHasher hasher_;
  uint8_t frame_[kMaxFrame];
};

// One sending thread's link, key and progress.
struct Sender {
  FrameSender* link = nullptr;
  std::unique_ptr<CookieHasher> hasher;
  std::atomic<uint64_t> frames{0};
  uint64_t next = 0;  // round 0: the first of its positions not sent
  uint64_t resent = 0;
  bool failed = false;
};

// The senders and the rounds.
class Rounds {
 public:
  Rounds(const Scan& s, const RawOptions& o, PaceClock& clock, const OnProgress& on_progress)
      : s_(s), o_(o), clock_(clock), on_progress_(on_progress), perm_(s.total, s.key) {}

  Status Open(PacketIo& io, uint64_t threads) {
    for (uint64_t k = 0; k < threads; ++k) {
      auto snd = std::make_unique<Sender>();
      PA_ASSIGN_OR_RETURN(link, io.OpenSender(s_.module.max_frame));
      snd->link = link;
      snd->hasher = std::make_unique<CookieHasher>(s_.key);
      senders_.push_back(std::move(snd));
    }
    return Status::Ok();
  }

  const Permutation& perm() const { return perm_; }
  bool Stopped() const { return o_.stop != nullptr && o_.stop->load(std::memory_order_relaxed); }
  uint64_t Sent() const {
    uint64_t n = 0;
    for (const auto& snd : senders_) n += snd->frames.load(std::memory_order_relaxed);
    return n;
  }
  uint64_t Resent() const {
    uint64_t n = 0;
    for (const auto& snd : senders_) n += snd->resent;
    return n;
  }
  bool Failed() const {
    return std::any_of(senders_.begin(), senders_.end(), [](const auto& s) { return s->failed; });
  }
  // Round 0: the end of the positions every sender has sent.
  uint64_t FirstRoundEnd() const {
    uint64_t end = s_.total;
    for (const auto& snd : senders_) end = std::min(end, snd->next);
    return end;
  }

  // Runs one round on every sender; reports progress meanwhile.
  void Run(int round) {
    std::vector<std::thread> workers;
    std::atomic<uint64_t> running{senders_.size()};
    for (uint64_t k = 0; k < senders_.size(); ++k) {
      workers.emplace_back([this, k, round, &running] {
        SendShare(*senders_[k], k, round);
        running.fetch_sub(1);
      });
    }
    // Waiting for the workers is not pacing: real time, not the PaceClock.
    while (running.load() > 0) {
      std::this_thread::sleep_for(milliseconds(2));
      const auto now = std::chrono::steady_clock::now();
      if (on_progress_ && now - last_progress_ >= milliseconds(100)) {
        last_progress_ = now;
        on_progress_(std::min(o_.start_index + Sent(), s_.total), s_.total);
      }
    }
    for (auto& w : workers) w.join();
  }

  // After a round: waits until `expected` probes are answered or wait_ms has passed.
  void Drain(uint64_t expected) {
    const Duration until = clock_.Now() + milliseconds(o_.wait_ms);
    while (clock_.Now() < until && s_.counters.answered.load() < expected) {
      clock_.SleepFor(milliseconds(2));
    }
  }

  // A spare source is unknown to the next hop until it asks for it and we answer: the first
  // probe goes alone and that exchange gets a moment, so the first replies are not queued (and
  // dropped) behind an unresolved neighbour.
  void WarmUpSpareSource() {
    Sender& snd = *senders_[0];
    const uint64_t j = perm_(o_.start_index);
    uint8_t* frame = snd.link->Next();
    if (frame == nullptr) return;
    snd.link->Commit(Build(snd, j, 0, frame, /*no_payload=*/true));
    snd.link->Flush();
    const Duration until = clock_.Now() + milliseconds(300);
    while (clock_.Now() < until && s_.counters.answered.load() == 0 &&
           s_.counters.neighbor_replies.load() == 0) {
      clock_.SleepFor(milliseconds(1));
    }
  }

 private:
  // Writes probe j into frame; returns its length.
  size_t Build(Sender& snd, uint64_t j, int round, uint8_t* frame, bool no_payload = false) {
    const uint64_t hosts = s_.index.size();
    const IpAddr dst = s_.index.At(j % hosts);
    const uint16_t port = s_.ports[j / hosts];
    const uint64_t cookie = snd.hasher->Hash(dst, port, s_.module.proto);
    std::span<const uint8_t> payload;
    if (!no_payload && o_.udp_payload) payload = o_.udp_payload(port, round);
    return s_.module.build(s_.plan.tmpl[FamilySlot(dst.family)], dst, port, cookie, payload, frame);
  }

  // Sends sender k's share of positions [start_index, total): all of them in round 0, the
  // unanswered ones in a resend round, paced at its part of the rate.
  void SendShare(Sender& snd, uint64_t k, int round) {
    const bool first = round == 0;
    const uint64_t threads = senders_.size();
    const uint64_t rate = o_.rate_pps / threads;
    // Frames per flush: about 0.5 ms of the rate, at most 256.
    const uint64_t batch = rate == 0 ? 256 : std::clamp<uint64_t>(rate / 2000, 1, 256);
    const Duration pace_start = clock_.Now();
    uint64_t paced = 0;
    uint64_t i = o_.start_index + k;
    for (bool stop = Stopped(); i < s_.total && !stop; i += threads) {
      const uint64_t j = perm_(i);
      if (!first && s_.answered.Test(j)) continue;
      uint8_t* frame = snd.link->Next();
      if (frame == nullptr) {
        snd.failed = true;
        break;
      }
      snd.link->Commit(Build(snd, j, round, frame));
      snd.frames.fetch_add(1, std::memory_order_relaxed);
      if (!first) ++snd.resent;
      if (++paced % batch == 0) {
        snd.link->Flush();
        stop = Stopped();
        if (rate != 0) clock_.SleepUntil(pace_start + Duration(paced * 1'000'000'000ULL / rate));
      }
    }
    snd.link->Flush();
    if (first) snd.next = std::min(i, s_.total);
  }

  const Scan& s_;
  const RawOptions& o_;
  PaceClock& clock_;
  const OnProgress& on_progress_;
  Permutation perm_;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
};

// What never answered: the module's unanswered state, for the probes that were sent.
void ReportUnanswered(const Scan& s, const Rounds& rounds, uint64_t start, uint64_t end,
                      const OnResult& on_result, RawStats& stats) {
  for (uint64_t i = start; i < end; ++i) {
    const uint64_t j = rounds.perm()(i);
    if (s.answered.Test(j)) continue;
    PortResult res;
    res.ip = s.index.At(j % s.index.size());
    res.port = s.ports[j / s.index.size()];
    res.proto = s.module.proto;
    res.state = s.module.unanswered;
    res.reason = "no-response";
    ++(res.state == PortState::kOpenFiltered ? stats.open_filtered : stats.filtered);
    if (on_result) on_result(res);
  }
}

// Round 0, then resend rounds while probes stay unanswered.
Status SendRounds(const Scan& s, const RawOptions& o, Rounds& rounds, PaceClock& clock,
                  RawStats& stats) {
  const Status ring_stopped = Unavailable("the transmit ring stopped draining");
  const Duration send_start = clock.Now();
  rounds.Run(0);
  stats.send_seconds = std::chrono::duration<double>(clock.Now() - send_start).count();
  const uint64_t end = rounds.FirstRoundEnd();
  stats.next_index = end;
  stats.rounds = 1;
  if (rounds.Failed()) return ring_stopped;
  const uint64_t expected = end - o.start_index;
  rounds.Drain(expected);
  for (int round = 1; round <= o.retries && !rounds.Stopped(); ++round) {
    if (s.counters.answered.load() >= expected) break;
    const uint64_t before = stats.resent;
    rounds.Run(round);
    stats.resent = rounds.Resent();
    ++stats.rounds;
    if (rounds.Failed()) return ring_stopped;
    if (stats.resent == before) break;
    rounds.Drain(expected);
  }
  return Status::Ok();
}

}  // namespace

std::string ReceiveFilter(const RawPlan& plan, const ProbeModule& module) {
  std::string hosts;
  for (size_t f = 0; f < 2; ++f) {
    if (!plan.have[f]) continue;
    if (!hosts.empty()) hosts += " or ";
    hosts += "dst host " + plan.tmpl[f].src.ToString();
  }
  std::string expr = fmt::format("(({}) and ({}))", module.bpf_protos, hosts);
  if (plan.spare[0]) expr += " or arp";
  if (plan.spare[1]) expr += " or (icmp6 and ip6[40] == 135)";
  return expr;
}

Status CheckProbeCount(uint64_t hosts, size_t ports) {
  if (ports == 0 || hosts <= kMaxRawProbes / ports) return Status::Ok();
  return InvalidArgument(fmt::format(
      "{} addresses x {} ports is more than {} probes in one raw scan; split the targets", hosts,
      ports, kMaxRawProbes));
}

uint64_t SenderCount(const RawOptions& options, uint64_t probes) {
  const uint64_t wanted = options.tx_threads > 0
                              ? uint64_t(options.tx_threads)
                              : std::clamp<uint64_t>(std::thread::hardware_concurrency(), 1, 4);
  // At most one sender per 1,000 probes/s of a set rate, so each paces at a useful rate.
  const uint64_t rate_cap =
      options.rate_pps == 0 ? ~uint64_t{0} : std::max<uint64_t>(1, options.rate_pps / 1000);
  return std::max<uint64_t>(1, std::min({wanted, rate_cap, probes}));
}

Result<RawStats> RunRawEngine(const RawPlan& plan, const TargetSet& targets,
                              const std::vector<uint16_t>& ports, const RawOptions& options,
                              PacketIo& io, PaceClock& clock, const OnResult& on_result,
                              const OnProgress& on_progress) {
  RawStats stats;
  stats.interface = plan.ifname;
  const TargetIndex index(targets);
  if (index.size() == 0 || ports.empty()) return stats;
  PA_RETURN_IF_ERROR(CheckProbeCount(index.size(), ports.size()));
  stats.seed = options.seed != 0 ? options.seed : ProbeKey::RandomSeed();
  const ProbeKey key(stats.seed);
  const uint64_t total = index.size() * ports.size();
  PA_ASSIGN_OR_RETURN(answered, Bitmap::Create(total));
  Counters counters;
  Scan s{plan,
         ModuleFor(options.mode),
         index,
         ports,
         std::vector<int32_t>(65536, -1),
         key,
         *answered,
         counters,
         total};
  for (size_t i = 0; i < ports.size(); ++i) s.port_pos[ports[i]] = static_cast<int32_t>(i);

  Rounds rounds(s, options, clock, on_progress);
  PA_RETURN_IF_ERROR(rounds.Open(io, SenderCount(options, total)));
  Receiver receiver(s, io, on_result);
  std::jthread rx([&receiver](const std::stop_token& stop) { receiver.Loop(stop); });
  if (plan.spare[0] || plan.spare[1]) rounds.WarmUpSpareSource();
  const Status sent = SendRounds(s, options, rounds, clock, stats);
  stats.frames = rounds.Sent();
  if (on_progress) on_progress(stats.next_index, total);
  rx.request_stop();
  rx.join();
  stats.interrupted = rounds.Stopped();
  ReportUnanswered(s, rounds, options.start_index, stats.next_index, on_result, stats);
  stats.probes = stats.frames;
  stats.open = counters.open.load();
  stats.closed = counters.closed.load();
  stats.filtered += counters.filtered.load();
  stats.replies = counters.replies.load();
  stats.rsts = counters.rsts.load();
  stats.neighbor_replies = counters.neighbor_replies.load();
  if (!sent.ok()) return sent;
  return stats;
}

}  // namespace portatlas::scan
