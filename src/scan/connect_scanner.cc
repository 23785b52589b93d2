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

WorkerResult RunWorker(Scan& scan, uint64_t k) {
  WorkerResult out;
  ScanStats& stats = out.stats;
  const ConnectOptions& options = *scan.options;
  const uint64_t hosts = scan.hosts;
  const uint64_t total = scan.total;
  const std::vector<uint16_t>& ports = *scan.ports;
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    out.status = ErrnoStatus(errno, "epoll_create1");
    return out;
  }
  struct InFlight {
    Probe probe;
    uint64_t seq = 0;
  };
  std::unordered_map<int, InFlight> by_fd;
  std::unordered_map<uint64_t, int> host_load;  // host index -> connects in flight
  struct Deadline {
    int64_t at;
    int fd;
    uint64_t seq;
  };
  std::deque<Deadline> deadlines;  // in launch order, so in deadline order
  std::deque<Probe> retry;
  uint64_t next = options.start_index + k;
  uint64_t seq = 0;

  auto report = [&](const Probe& p, const Outcome& o) {
    PortResult r;
    r.ip = scan.targets->At(p.index % hosts);
    r.port = ports[p.index / hosts];
    r.state = o.state;
    r.reason = o.reason;
    if (o.state == PortState::kOpen) ++stats.open;
    if (o.state == PortState::kClosed) ++stats.closed;
    if (o.state == PortState::kFiltered) ++stats.filtered;
    scan.done.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(scan.result_mu);
    (*scan.on_result)(r);
  };
  // An answer or a timeout for a probe whose socket is already closed.
  auto settle = [&](const Probe& p, const Outcome& o) {
    if (!o.final && p.tries <= options.retries) {
      retry.push_back(p);
      return;
    }
    report(p, o.final ? o : Outcome{true, PortState::kFiltered, "no-response"});
  };
  auto release = [&](int fd) -> Probe {
    auto it = by_fd.find(fd);
    const Probe p = it->second.probe;
    by_fd.erase(it);
    if (--host_load[p.index % hosts] == 0) host_load.erase(p.index % hosts);
    ::close(fd);  // connected ones have SO_LINGER 0: an RST, no TIME_WAIT
    return p;
  };
  const auto stopped = [&] {
    return options.stop != nullptr && options.stop->load(std::memory_order_relaxed);
  };

  Status failure;
  bool interrupted = false;
  while (failure.ok() && (next < total || !retry.empty() || !by_fd.empty())) {
    if (stopped()) {
      interrupted = true;
      break;
    }
    // Launch what the limits allow.
    while (by_fd.size() < scan.max_in_flight && (next < total || !retry.empty())) {
      Probe p;
      if (!retry.empty()) {
        p = retry.front();
      } else {
        p.index = next;
      }
      const uint64_t host = p.index % hosts;
      auto load = host_load.find(host);
      if (load != host_load.end() && load->second >= scan.per_host) break;
      const IpAddr ip = scan.targets->At(host);
      const int fd = ::socket(ip.family == Family::kIpv4 ? AF_INET : AF_INET6,
                              SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
      if (fd < 0) {
        if ((errno == EMFILE || errno == ENFILE || errno == ENOBUFS) && !by_fd.empty()) break;
        failure = ErrnoStatus(errno, "socket");
        break;
      }
      if (!retry.empty()) {
        retry.pop_front();
      } else {
        next += scan.stride;
      }
      sockaddr_storage ss;
      const socklen_t len = ToSockaddr(ip, ports[p.index / hosts], &ss);
      ++p.tries;
      ++stats.probes;
      const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len);
      const int err = rc == 0 ? 0 : errno;
      if (err == EINPROGRESS) {
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.fd = fd;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
          failure = ErrnoStatus(errno, "epoll_ctl");
          ::close(fd);
          break;
        }
        by_fd[fd] = {p, ++seq};
        ++host_load[host];
        deadlines.push_back({NowMs() + scan.timeout_ms, fd, seq});
        continue;
      }
      if (err == 0) NoLinger(fd);
      ::close(fd);
      if (err == EAGAIN || err == EADDRNOTAVAIL) {  // out of local ports for now: later
        --p.tries;
        --stats.probes;
        retry.push_front(p);
        break;
      }
      settle(p, Classify(err));
    }
    if (!failure.ok()) break;
    if (by_fd.empty() && next >= total && retry.empty()) break;

    const int64_t now = NowMs();
    int wait_ms = 100;
    if (!deadlines.empty()) {
      wait_ms = static_cast<int>(std::clamp<int64_t>(deadlines.front().at - now, 0, 100));
    }
    epoll_event events[256];
    const int n = epoll_wait(ep, events, 256, wait_ms);
    if (n < 0 && errno != EINTR) {
      failure = ErrnoStatus(errno, "epoll_wait");
      break;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      int err = 0;
      socklen_t elen = sizeof(err);
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) err = errno;
      if (err == 0) NoLinger(fd);
      const Probe p = release(fd);
      settle(p, Classify(err));
    }
    const int64_t after = NowMs();
    while (!deadlines.empty() && deadlines.front().at <= after) {
      const Deadline d = deadlines.front();
      deadlines.pop_front();
      auto it = by_fd.find(d.fd);
      if (it == by_fd.end() || it->second.seq != d.seq) continue;  // answered already
      const Probe p = release(d.fd);
      settle(p, Outcome{false, PortState::kFiltered, "no-response"});
    }
  }
  // The resume point of this worker: its first position not yet reported.
  out.mark = std::min(next, total);
  for (const auto& [fd, f] : by_fd) out.mark = std::min(out.mark, f.probe.index);
  for (const Probe& p : retry) out.mark = std::min(out.mark, p.index);
  stats.interrupted = interrupted;
  for (auto& [fd, f] : by_fd) ::close(fd);
  ::close(ep);
  out.status = failure;
  return out;
}

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
