#include "scan/connect_scanner.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "net/fd.h"
#include "scan/sockaddr.h"

namespace portatlas::scan {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Raises the soft open-file limit to the hard one; returns the soft limit then in force.
int64_t RaiseFdLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit want = lim;
    want.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) lim = want;
  }
  return lim.rlim_cur == RLIM_INFINITY ? (int64_t{1} << 20) : static_cast<int64_t>(lim.rlim_cur);
}

// SO_LINGER 0 before closing a connected socket: close sends an RST and leaves no TIME_WAIT.
// (A socket whose connect failed or is still pending has no connection to linger over, so only
// open ports pay this system call.)
void NoLinger(int fd) {
  const linger no_linger{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_linger, sizeof(no_linger));
}

struct Probe {
  uint64_t index = 0;  // port_index * hosts + host_index
  int tries = 0;       // connects made so far
};

// What an answer (or its absence) means for a port. `retry`: no answer yet, try again.
struct Outcome {
  bool final = true;
  PortState state = PortState::kFiltered;
  std::string_view reason;
};

Outcome Classify(int err) {
  switch (err) {
    case 0:
      return {true, PortState::kOpen, "syn-ack"};
    case ECONNREFUSED:
      return {true, PortState::kClosed, "conn-refused"};
    case ETIMEDOUT:
      return {false, PortState::kFiltered, "no-response"};
    case EHOSTUNREACH:
      return {true, PortState::kFiltered, "host-unreach"};
    case ENETUNREACH:
      return {true, PortState::kFiltered, "net-unreach"};
    case EACCES:
    case EPERM:
      return {true, PortState::kFiltered, "admin-prohibited"};
    default:
      return {true, PortState::kFiltered, "error"};
  }
}

}  // namespace

std::string_view PortStateName(PortState s) {
  switch (s) {
    case PortState::kOpen:
      return "open";
    case PortState::kClosed:
      return "closed";
    case PortState::kFiltered:
      return "filtered";
    case PortState::kOpenFiltered:
      return "open|filtered";
  }
  return "unknown";
}

namespace {

// Shared by the workers of one scan.
struct Scan {
  const TargetIndex* targets = nullptr;
  const std::vector<uint16_t>* ports = nullptr;
  const ConnectOptions* options = nullptr;
  uint64_t hosts = 0;
  uint64_t total = 0;
  uint64_t stride = 1;  // workers; worker k takes positions start + k, start + k + stride, ...
  size_t max_in_flight = 1;
  int per_host = 1;
  int timeout_ms = 1;
  std::mutex result_mu;  // results reach the caller one at a time
  const std::function<void(const PortResult&)>* on_result = nullptr;
  std::atomic<uint64_t> done{0};
};

struct WorkerResult {
  ScanStats stats;
  Status status;
  uint64_t mark = 0;  // the first of this worker's positions not yet reported
};

// One worker: its epoll loop over the connects in flight, launching what the limits allow,
// settling answers and timeouts, and retrying silent ports.
class ConnectWorker {
 public:
  ConnectWorker(Scan& scan, uint64_t k)
      : scan_(scan), options_(*scan.options), next_(options_.start_index + k) {}

  WorkerResult Run() {
    ep_.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!ep_.valid()) {
      out_.status = ErrnoStatus(errno, "epoll_create1");
      return std::move(out_);
    }
    Status failure;
    while (failure.ok() && (next_ < scan_.total || !retry_.empty() || !by_fd_.empty())) {
      if (Stopped()) {
        out_.stats.interrupted = true;
        break;
      }
      failure = Launch();
      if (!failure.ok()) break;
      if (by_fd_.empty() && next_ >= scan_.total && retry_.empty()) break;
      failure = Wait();
      if (!failure.ok()) break;
      Expire();
    }
    // The resume point of this worker: its first position not yet reported.
    out_.mark = std::min(next_, scan_.total);
    for (const auto& [fd, f] : by_fd_) out_.mark = std::min(out_.mark, f.probe.index);
    for (const Probe& p : retry_) out_.mark = std::min(out_.mark, p.index);
    for (auto& [fd, f] : by_fd_) ::close(fd);
    out_.status = failure;
    return std::move(out_);
  }

 private:
  struct InFlight {
    Probe probe;
    uint64_t seq = 0;
  };
  struct Deadline {
    int64_t at;
    int fd;
    uint64_t seq;
  };

  bool Stopped() const {
    return options_.stop != nullptr && options_.stop->load(std::memory_order_relaxed);
  }

  // Launches what the limits allow: retries first, then this worker's next positions.
  Status Launch() {
    while (by_fd_.size() < scan_.max_in_flight && (next_ < scan_.total || !retry_.empty())) {
      Probe p;
      if (!retry_.empty()) {
        p = retry_.front();
      } else {
        p.index = next_;
      }
      const uint64_t host = p.index % scan_.hosts;
      auto load = host_load_.find(host);
      if (load != host_load_.end() && load->second >= scan_.per_host) break;
      const IpAddr ip = scan_.targets->At(host);
      const int fd = ::socket(ip.family == Family::kIpv4 ? AF_INET : AF_INET6,
                              SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
      if (fd < 0) {
        if ((errno == EMFILE || errno == ENFILE || errno == ENOBUFS) && !by_fd_.empty()) break;
        return ErrnoStatus(errno, "socket");
      }
      if (!retry_.empty()) {
        retry_.pop_front();
      } else {
        next_ += scan_.stride;
      }
      bool go_on = true;
      PA_RETURN_IF_ERROR(Connect(fd, ip, p, &go_on));
      if (!go_on) break;
    }
    return Status::Ok();
  }

  // Starts probe p's connect on fd; *go_on is false when launching should pause (out of
  // local ports for now).
  Status Connect(int fd, const IpAddr& ip, Probe p, bool* go_on) {
    sockaddr_storage ss;
    const socklen_t len = ToSockaddr(ip, (*scan_.ports)[p.index / scan_.hosts], &ss);
    ++p.tries;
    ++out_.stats.probes;
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len);
    const int err = rc == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.fd = fd;
      if (epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        const int e = errno;
        ::close(fd);
        return ErrnoStatus(e, "epoll_ctl");
      }
      by_fd_[fd] = {p, ++seq_};
      ++host_load_[p.index % scan_.hosts];
      deadlines_.push_back({NowMs() + scan_.timeout_ms, fd, seq_});
      return Status::Ok();
    }
    if (err == 0) NoLinger(fd);
    ::close(fd);
    if (err == EAGAIN || err == EADDRNOTAVAIL) {  // out of local ports for now: later
      --p.tries;
      --out_.stats.probes;
      retry_.push_front(p);
      *go_on = false;
      return Status::Ok();
    }
    Settle(p, Classify(err));
    return Status::Ok();
  }

  // Waits for answers, at most until the next deadline (100 ms when none), and settles them.
  Status Wait() {
    int wait_ms = 100;
    if (!deadlines_.empty()) {
      wait_ms = static_cast<int>(std::clamp<int64_t>(deadlines_.front().at - NowMs(), 0, 100));
    }
    epoll_event events[256];
    const int n = epoll_wait(ep_.get(), events, 256, wait_ms);
    if (n < 0 && errno != EINTR) return ErrnoStatus(errno, "epoll_wait");
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      int err = 0;
      socklen_t elen = sizeof(err);
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) err = errno;
      if (err == 0) NoLinger(fd);
      Settle(Release(fd), Classify(err));
    }
    return Status::Ok();
  }

  // The connects whose deadline passed give no answer.
  void Expire() {
    const int64_t now = NowMs();
    while (!deadlines_.empty() && deadlines_.front().at <= now) {
      const Deadline d = deadlines_.front();
      deadlines_.pop_front();
      auto it = by_fd_.find(d.fd);
      if (it == by_fd_.end() || it->second.seq != d.seq) continue;  // answered already
      Settle(Release(d.fd), Outcome{false, PortState::kFiltered, "no-response"});
    }
  }

  Probe Release(int fd) {
    auto it = by_fd_.find(fd);
    const Probe p = it->second.probe;
    by_fd_.erase(it);
    if (--host_load_[p.index % scan_.hosts] == 0) host_load_.erase(p.index % scan_.hosts);
    ::close(fd);  // connected ones have SO_LINGER 0: an RST, no TIME_WAIT
    return p;
  }

  // An answer or a timeout for a probe whose socket is already closed.
  void Settle(const Probe& p, const Outcome& o) {
    if (!o.final && p.tries <= options_.retries) {
      retry_.push_back(p);
      return;
    }
    Report(p, o.final ? o : Outcome{true, PortState::kFiltered, "no-response"});
  }

  void Report(const Probe& p, const Outcome& o) {
    PortResult r;
    r.ip = scan_.targets->At(p.index % scan_.hosts);
    r.port = (*scan_.ports)[p.index / scan_.hosts];
    r.state = o.state;
    r.reason = o.reason;
    ScanStats& stats = out_.stats;
    if (o.state == PortState::kOpen) ++stats.open;
    if (o.state == PortState::kClosed) ++stats.closed;
    if (o.state == PortState::kFiltered) ++stats.filtered;
    scan_.done.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(scan_.result_mu);
    (*scan_.on_result)(r);
  }

  Scan& scan_;
  const ConnectOptions& options_;
  WorkerResult out_;
  net::Fd ep_;
  std::unordered_map<int, InFlight> by_fd_;
  std::unordered_map<uint64_t, int> host_load_;  // host index -> connects in flight
  std::deque<Deadline> deadlines_;               // in launch order, so in deadline order
  std::deque<Probe> retry_;
  uint64_t next_;
  uint64_t seq_ = 0;
};

WorkerResult RunWorker(Scan& scan, uint64_t k) { return ConnectWorker(scan, k).Run(); }

}  // namespace

Result<ScanStats> ConnectScan(const TargetSet& targets, const std::vector<uint16_t>& ports,
                              const ConnectOptions& options,
                              const std::function<void(const PortResult&)>& on_result,
                              const std::function<void(uint64_t, uint64_t)>& on_progress) {
  ScanStats stats;
  const TargetIndex index(targets);
  const uint64_t hosts = index.size();
  if (hosts == 0 || ports.empty()) return stats;
  if (hosts > TargetSet::kMaxAddresses) return InvalidArgument("too many targets");
  const int64_t fd_room = RaiseFdLimit() - 64;
  if (fd_room < 16) return Unavailable("too few file descriptors for a connect scan");

  Scan scan;
  scan.targets = &index;
  scan.ports = &ports;
  scan.options = &options;
  scan.hosts = hosts;
  scan.total = hosts * ports.size();
  const uint64_t start = std::min(options.start_index, scan.total);
  const uint64_t workers = std::clamp<uint64_t>(
      options.threads > 0 ? uint64_t(options.threads) : std::thread::hardware_concurrency(), 1,
      std::max<uint64_t>(1, std::min<uint64_t>(16, scan.total - start)));
  scan.stride = workers;
  // The limits are for the whole scan; each worker gets its share.
  scan.max_in_flight = static_cast<size_t>(std::max<int64_t>(
      1, std::clamp<int64_t>(options.max_in_flight, 1, fd_room) / static_cast<int64_t>(workers)));
  scan.per_host = std::max(1, options.per_host / static_cast<int>(workers));
  scan.timeout_ms = std::max(1, options.timeout_ms);
  scan.on_result = &on_result;
  scan.done.store(start);

  std::vector<WorkerResult> results(workers);
  std::vector<std::thread> threads;
  std::atomic<uint64_t> running{workers};
  for (uint64_t k = 0; k < workers; ++k) {
    threads.emplace_back([&, k] {
      results[k] = RunWorker(scan, k);
      running.fetch_sub(1);
    });
  }
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (on_progress && running.load() > 0) on_progress(scan.done.load(), scan.total);
  }
  for (auto& t : threads) t.join();
  stats.next_index = scan.total;
  for (const WorkerResult& r : results) {
    if (!r.status.ok()) return r.status;
    stats.probes += r.stats.probes;
    stats.open += r.stats.open;
    stats.closed += r.stats.closed;
    stats.filtered += r.stats.filtered;
    stats.interrupted = stats.interrupted || r.stats.interrupted;
    stats.next_index = std::min(stats.next_index, r.mark);
  }
  if (on_progress) on_progress(scan.done.load(), scan.total);
  return stats;
}

}  // namespace portatlas::scan
