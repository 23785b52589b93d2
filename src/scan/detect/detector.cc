#include "scan/detect/detector.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/log.h"
#include "scan/detect/detector_refine.h"
#include "scan/detect/tls_facts.h"
#include "scan/sockaddr.h"

namespace portatlas::scan {
namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

constexpr size_t kMaxReplyBytes = 16 * 1024;  // read per connection at most
constexpr size_t kHashBytes = 1024;           // of the identifying reply
constexpr int kMaxFollowups = 3;

enum class Phase { kConnecting, kStartTls, kHandshake, kSending, kReading, kClosed };

// Plain-text protocols that upgrade to TLS on request: the greeting to wait for, the commands
// to send (SMTP says EHLO first, and STARTTLS only if the server offers it), and the answer
// that means "go ahead". Matched at the start of a line.
struct StartTlsDialect {
  std::string_view service;
  std::string_view greeting;
  std::string_view ehlo;   // "" when the protocol has no capability step
  std::string_view offer;  // what the capability answer must contain
  std::string_view command;
  std::string_view go_ahead;
};
constexpr StartTlsDialect kStartTls[] = {
    {"smtp", "220 ", "EHLO portatlas.invalid\r\n", "STARTTLS", "STARTTLS\r\n", "220"},
    {"imap", "* OK", "", "", "a1 STARTTLS\r\n", "a1 OK"},
    {"pop3", "+OK", "", "", "STLS\r\n", "+OK"},
    {"ftp", "220 ", "", "", "AUTH TLS\r\n", "234"},
};

const StartTlsDialect* StartTlsFor(std::string_view service) {
  for (const StartTlsDialect& d : kStartTls) {
    if (d.service == service) return &d;
  }
  return nullptr;
}

struct Job;

struct Conn {
  Job* job = nullptr;
  int fd = -1;
  SSL* ssl = nullptr;
  bool tls = false;              // the connection runs TLS
  const Probe* probe = nullptr;  // nullptr: the NULL probe (read what the server says first)
  bool followup = false;
  bool udp = false;
  Phase phase = Phase::kConnecting;
  std::vector<uint8_t> out;
  size_t out_off = 0;
  std::vector<uint8_t> in;
  size_t matched_len = 0;                     // `in` was last matched at this length
  bool hard_here = false;                     // this connection gave the job's hard match
  const StartTlsDialect* starttls = nullptr;  // a STARTTLS upgrade, not a probe
  int starttls_step = 0;                      // 0 greeting, 1 capabilities (SMTP), 2 go-ahead
  Clock::time_point started, connected, last_data, deadline;
  uint32_t interest = 0;
};

// The best answer so far of one kind.
struct Found {
  std::optional<ServiceMatch> match;
  bool tls = false;
  std::vector<uint8_t> reply;
  int rank = 0;  // of the probe in nmap's order: between equal matches the earlier probe wins
};

enum class TlsState { kUnknown, kTrying, kYes, kNo };

struct Job {
  ScanRecord rec;
  sockaddr_storage sa{};
  socklen_t sa_len = 0;
  bool udp = false;
  Clock::time_point start, grace_at, deadline;
  std::vector<const Probe*> plain, secure;  // plans, NULL probe left out
  size_t plain_next = 0, secure_next = 0;
  std::set<const Probe*> tried_plain, tried_secure;
  TlsState tls = TlsState::kUnknown;
  bool tls_hint = false;  // sslports, a TLS-looking reply or a match naming ssl
  std::string tls_json;
  Found hard;  // a hard match (not one that only says "ssl")
  Found weak;  // a hard match naming ssl/<service> from outside TLS
  Found soft;
  std::vector<uint8_t> first_reply;
  bool followups_started = false;
  bool starttls_started = false;
  std::string starttls_json;  // the certificate seen after STARTTLS
  bool null_wrapped = false;  // the NULL connection closed without a byte, early
  bool any_data = false;
  bool probe_data = false;  // a probe's connection got a reply: the server waits for clients
  int probe_conns = 0;      // probe connections (not NULL ones) in flight
  int conns = 0;
  bool finished = false;
};

// Each connection's phases, at --log-level debug.
bool TraceOn() { return logging::Logger().should_log(spdlog::level::debug); }

// nmap's order (ProbesFor), but among the probes that do not list the port portatlas's own
// additions first: they name what nmap's file cannot, and it has no other way to reach them.
void PreferOwnProbes(std::vector<const Probe*>& plan, uint16_t port, bool tls) {
  auto others = std::find_if(plan.begin(), plan.end(),
                             [&](const Probe* p) { return !p->ListsPort(port, tls); });
  std::stable_partition(others, plan.end(),
                        [](const Probe* p) { return p->name.rfind("Portatlas", 0) == 0; });
}

bool LooksLikeTls(const std::vector<uint8_t>& in) {
  return in.size() >= 3 && (in[0] == 0x15 || in[0] == 0x16) && in[1] == 0x03 && in[2] <= 0x04;
}

// How much a match says: a version above all, then CPEs, then a product.
int Score(const ServiceMatch& m) {
  return (m.version.empty() ? 0 : 4) + (m.cpes.empty() ? 0 : 2) + (m.product.empty() ? 0 : 1);
}

bool NamesSsl(const std::string& service) {
  return service == "ssl" || service.rfind("ssl/", 0) == 0;
}

// The service a softmatch or hard match names, without nmap's ssl/ prefix.
std::string BareService(const std::string& service) {
  return service.rfind("ssl/", 0) == 0 ? service.substr(4) : service;
}

// SHA-256 of the identifying reply's first kHashBytes, with HTTP Date headers left out (they
// change every second and would make the same server a new fingerprint each scan).
std::string BannerHash(const std::vector<uint8_t>& reply) {
  if (reply.empty()) return "";
  std::string text(reinterpret_cast<const char*>(reply.data()), std::min(reply.size(), kHashBytes));
  if (text.rfind("HTTP/", 0) == 0) {
    std::string kept;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t eol = text.find('\n', pos);
      eol = eol == std::string::npos ? text.size() : eol + 1;
      const std::string_view line(text.data() + pos, eol - pos);
      const bool date = line.size() >= 5 && (line[0] == 'D' || line[0] == 'd') &&
                        (line.substr(1, 4) == "ate:" || line.substr(1, 4) == "ATE:");
      if (!date) kept.append(line);
      pos = eol;
    }
    text = std::move(kept);
  }
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
  std::string hex;
  hex.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char c : d) hex += fmt::format("{:02x}", c);
  return hex;
}

}  // namespace

struct Detector::Impl {
  struct Worker {
    Impl* impl = nullptr;
    int epfd = -1;
    int evfd = -1;
    std::mutex mu;
    std::deque<ScanRecord> queue;  // under mu
    bool closing = false;          // under mu
    std::list<std::unique_ptr<Job>> jobs;
    std::list<std::unique_ptr<Conn>> conns;
    std::vector<Conn*> dead;                         // closed this round, freed at its end
    std::unordered_map<std::string, int> host_jobs;  // ports of each address being detected
    int conn_budget = 0;
    int live_conns = 0;
    int max_jobs = 1;
    DetectStats stats;
    std::thread thread;
  };

  const ProbeDb* db = nullptr;
  DetectOptions opt;
  std::function<void(ScanRecord)> on_done;
  std::mutex done_mu;
  SslCtxPtr ssl_ctx;
  std::vector<std::unique_ptr<Worker>> workers;
  bool finished = false;

  ~Impl() {
    for (auto& w : workers) {
      if (w->epfd >= 0) close(w->epfd);
      if (w->evfd >= 0) close(w->evfd);
    }
  }

  // ---- connections ----

  Conn* Open(Worker& w, Job& job, const Probe* probe, bool tls, bool followup) {
    if (w.live_conns >= w.conn_budget) return nullptr;
    const int family = reinterpret_cast<const sockaddr*>(&job.sa)->sa_family;
    const int fd =
        socket(family, (job.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return nullptr;
    if (!job.udp) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    auto conn = std::make_unique<Conn>();
    Conn* c = conn.get();
    c->job = &job;
    c->fd = fd;
    c->tls = tls;
    c->probe = probe;
    c->followup = followup;
    c->udp = job.udp;
    c->started = Clock::now();
    c->deadline = c->started + Ms(opt.connect_timeout_ms);
    if (probe != nullptr) c->out = probe->payload;
    const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&job.sa), job.sa_len);
    if (rc != 0 && errno != EINPROGRESS) {
      close(fd);
      return nullptr;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.ptr = c;
    if (epoll_ctl(w.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      return nullptr;
    }
    c->interest = EPOLLOUT;
    ++w.live_conns;
    ++w.stats.connections;
    ++job.conns;
    if (probe != nullptr) {
      ++job.probe_conns;
      ++w.stats.probes_sent;
      (tls ? job.tried_secure : job.tried_plain).insert(probe);
    }
    w.conns.push_back(std::move(conn));
    return c;
  }

  void Want(Worker& w, Conn& c, uint32_t events) {
    if (c.interest == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &c;
    epoll_ctl(w.epfd, EPOLL_CTL_MOD, c.fd, &ev);
    c.interest = events;
  }

  void Close(Worker& w, Conn& c) {
    if (c.phase == Phase::kClosed) return;
    Job& job = *c.job;
    if (TraceOn()) {
      const auto ms = [&](Clock::time_point t) {
        return std::chrono::duration_cast<Ms>(t - job.start).count();
      };
      logging::Logger().debug("detect {} {}/{}: {}{}{} phase {} from {} ms to {} ms, {} bytes",
                              job.rec.ip.ToString(), job.rec.port, job.udp ? "udp" : "tcp",
                              c.tls ? "tls " : "",
                              c.starttls != nullptr ? "STARTTLS"
                              : c.probe != nullptr  ? std::string_view(c.probe->name)
                                                    : "NULL",
                              c.followup ? " (follow-up)" : "", static_cast<int>(c.phase),
                              ms(c.started), ms(Clock::now()), c.in.size());
    }
    if (c.ssl != nullptr) {
      SSL_free(c.ssl);
      c.ssl = nullptr;
    }
    if (!c.udp && c.phase != Phase::kConnecting) {
      // An RST rather than a FIN: no TIME_WAIT left behind per probe.
      const linger lg{1, 0};
      setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    epoll_ctl(w.epfd, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
    c.phase = Phase::kClosed;
    --w.live_conns;
    --job.conns;
    if (c.probe != nullptr) --job.probe_conns;
    w.dead.push_back(&c);
  }

  // The connection is up (TCP connected, or TLS established): send the probe or start reading.
  void Ready(Worker& w, Conn& c) {
    c.connected = Clock::now();
    if (c.out.empty()) {
      c.phase = Phase::kReading;
      const int wait = c.probe != nullptr            ? c.probe->totalwaitms
                       : db->null_probe() != nullptr ? db->null_probe()->totalwaitms
                                                     : 6000;
      c.deadline = c.connected + Ms(wait);
      Want(w, c, EPOLLIN | EPOLLRDHUP);
      return;
    }
    c.phase = Phase::kSending;
    Want(w, c, EPOLLOUT);
    Send(w, c);
  }

  void Send(Worker& w, Conn& c) {
    while (c.out_off < c.out.size()) {
      const void* data = c.out.data() + c.out_off;
      const size_t len = c.out.size() - c.out_off;
      ssize_t n;
      if (c.ssl != nullptr) {
        ERR_clear_error();
        const int r = SSL_write(c.ssl, data, static_cast<int>(len));
        if (r <= 0) {
          const int e = SSL_get_error(c.ssl, r);
          if (e == SSL_ERROR_WANT_WRITE) return Want(w, c, EPOLLOUT);
          if (e == SSL_ERROR_WANT_READ) return Want(w, c, EPOLLIN);
          return Complete(w, c);
        }
        n = r;
      } else {
        n = send(c.fd, data, len, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) return;
          return Complete(w, c);
        }
      }
      c.out_off += static_cast<size_t>(n);
    }
    c.phase = Phase::kReading;
    const int wait = c.probe->totalwaitms;
    c.deadline = Clock::now() + Ms(c.followup ? std::min(wait, opt.followup_ms) : wait);
    Want(w, c, EPOLLIN | EPOLLRDHUP);
  }

  void StartHandshake(Worker& w, Conn& c) {
    c.ssl = SSL_new(ssl_ctx.get());
    if (c.ssl == nullptr || SSL_set_fd(c.ssl, c.fd) != 1) return TlsFailed(w, c);
    SSL_set_connect_state(c.ssl);
    c.phase = Phase::kHandshake;
    c.connected = Clock::now();
    c.deadline = c.connected + Ms(opt.connect_timeout_ms);
    Handshake(w, c);
  }

  void Handshake(Worker& w, Conn& c) {
    ERR_clear_error();
    const int r = SSL_do_handshake(c.ssl);
    if (r == 1) {
      Job& job = *c.job;
      if (c.starttls != nullptr) {
        job.starttls_json = TlsFactsJson(c.ssl);
        ++w.stats.tls_handshakes;
        Close(w, c);
        return Pump(w, job);
      }
      if (job.tls != TlsState::kYes) {
        job.tls = TlsState::kYes;
        job.tls_json = TlsFactsJson(c.ssl);
        ++w.stats.tls_handshakes;
      }
      Ready(w, c);
      return;
    }
    const int e = SSL_get_error(c.ssl, r);
    if (e == SSL_ERROR_WANT_READ) return Want(w, c, EPOLLIN | EPOLLRDHUP);
    if (e == SSL_ERROR_WANT_WRITE) return Want(w, c, EPOLLOUT);
    TlsFailed(w, c);
  }

  void TlsFailed(Worker& w, Conn& c) {
    Job& job = *c.job;
    if (job.tls == TlsState::kTrying && c.starttls == nullptr) job.tls = TlsState::kNo;
    Close(w, c);
    Pump(w, job);
  }

  // Bytes came (or the peer closed): read what there is, match, decide.
  void Readable(Worker& w, Conn& c) {
    bool eof = false;
    uint8_t buf[4096];
    while (c.in.size() < kMaxReplyBytes) {
      ssize_t n;
      if (c.ssl != nullptr) {
        ERR_clear_error();
        const int r = SSL_read(c.ssl, buf, sizeof(buf));
        if (r <= 0) {
          const int e = SSL_get_error(c.ssl, r);
          if (e == SSL_ERROR_WANT_READ) break;
          if (e == SSL_ERROR_WANT_WRITE) {
            Want(w, c, EPOLLOUT);
            break;
          }
          eof = true;
          break;
        }
        n = r;
      } else {
        n = recv(c.fd, buf, sizeof(buf), 0);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          eof = true;
          break;
        }
        if (n == 0) {
          eof = true;
          break;
        }
      }
      const size_t take = std::min(static_cast<size_t>(n), kMaxReplyBytes - c.in.size());
      c.in.insert(c.in.end(), buf, buf + take);
      c.last_data = Clock::now();
      if (c.udp) break;  // one datagram is the reply
    }
    Job& job = *c.job;
    if (!c.in.empty()) {
      job.any_data = true;
      if (c.probe != nullptr) job.probe_data = true;
      if (job.first_reply.empty()) job.first_reply = c.in;
      MatchNow(w, c);
      if (c.phase == Phase::kClosed) return;
    }
    if (eof || c.udp || c.in.size() >= kMaxReplyBytes) {
      if (eof && c.in.empty() && c.probe == nullptr && !c.tls && !c.udp) {
        const int wrapped_ms = db->null_probe() != nullptr ? db->null_probe()->tcpwrappedms : 3000;
        if (Clock::now() - c.connected < Ms(wrapped_ms)) job.null_wrapped = true;
      }
      Complete(w, c);
    }
  }

  void MatchNow(Worker& w, Conn& c) {
    if (c.in.size() == c.matched_len) return;
    c.matched_len = c.in.size();
    Job& job = *c.job;
    if (!c.tls && !c.udp && LooksLikeTls(c.in)) {
      job.tls_hint = true;
      if (job.tls == TlsState::kUnknown) StartTls(w, job);
    }
    const Probe* probe = c.probe != nullptr ? c.probe : db->null_probe();
    if (probe == nullptr) return;
    std::optional<ServiceMatch> m = db->Match(*probe, c.in);
    if (!m) return;
    if (m->soft) {
      if (!job.soft.match) job.soft = {std::move(m), c.tls, c.in, Rank(job, c)};
      if (!c.tls && NamesSsl(job.soft.match->service)) {
        job.tls_hint = true;
        if (job.tls == TlsState::kUnknown) StartTls(w, job);
      }
      return;
    }
    if (!c.tls && NamesSsl(m->service)) {
      // The port wants TLS: that side will say what it is.
      if (!job.weak.match || (job.weak.match->version.empty() && !m->version.empty())) {
        job.weak = {std::move(m), false, c.in, Rank(job, c)};
      }
      job.tls_hint = true;
      if (job.tls == TlsState::kUnknown) StartTls(w, job);
      return;
    }
    const int rank = Rank(job, c);
    // Replies race each other; the result must not. More said wins, then TLS, then nmap's order.
    const bool better =
        !job.hard.match || (c.tls && !job.hard.tls) ||
        (c.tls == job.hard.tls && (Score(*m) > Score(*job.hard.match) ||
                                   (Score(*m) == Score(*job.hard.match) && rank < job.hard.rank)));
    if (better && job.hard.match && m->service == job.hard.match->service) {
      // What the earlier match said and this one does not is kept (SNMPv1's community beside
      // SNMPv3's engine).
      if (m->info.empty()) m->info = job.hard.match->info;
      if (m->hostname.empty()) m->hostname = job.hard.match->hostname;
    }
    if (c.hard_here) {
      // More of the reply that matched: it may say more (a version after the handshake).
      if (Score(*m) > Score(*job.hard.match)) job.hard.match = std::move(m);
      job.hard.reply = c.in;
    } else if (better) {
      job.hard = {std::move(m), c.tls, c.in, rank};
      for (auto& other : w.conns) {
        if (other->job == &job) other->hard_here = false;
      }
      c.hard_here = true;
    }
    if (c.hard_here && !job.hard.match->version.empty()) Complete(w, c);
  }

  // Where the connection's probe stands in nmap's order: the NULL probe first, follow-ups last.
  static int Rank(const Job& job, const Conn& c) {
    if (c.probe == nullptr) return -1;
    if (c.followup) return 1 << 20;
    const auto& plan = c.tls ? job.secure : job.plain;
    const auto it = std::find(plan.begin(), plan.end(), c.probe);
    return it == plan.end() ? (1 << 20) : static_cast<int>(it - plan.begin());
  }

  // The connection's reply is complete (closed, quiet, full or timed out).
  void Complete(Worker& w, Conn& c) {
    if (c.phase == Phase::kClosed) return;
    Job& job = *c.job;
    if (c.phase == Phase::kHandshake) return TlsFailed(w, c);
    if (c.phase == Phase::kConnecting && c.probe == nullptr && !c.tls) {
      // The NULL connection could not even connect: the port is gone or filtered now.
    }
    if (!c.in.empty() && job.first_reply.empty()) job.first_reply = c.in;
    Close(w, c);
    Pump(w, job);
  }

  void StartTls(Worker& w, Job& job) {
    if (job.udp || job.tls != TlsState::kUnknown) return;
    if (Open(w, job, nullptr, true, false) != nullptr) job.tls = TlsState::kTrying;
  }

  // A plain port whose service can upgrade (SMTP, IMAP, POP3, FTP): one more connection that
  // asks for TLS the protocol's way, to read the certificate. The port stays a plain port.
  void StartStartTls(Worker& w, Job& job) {
    if (job.starttls_started || job.udp || job.tls == TlsState::kYes || !job.hard.match) return;
    const StartTlsDialect* d = StartTlsFor(job.hard.match->service);
    if (d == nullptr) return;
    job.starttls_started = true;
    Conn* c = Open(w, job, nullptr, false, true);
    if (c != nullptr) c->starttls = d;
  }

  // The STARTTLS dialogue, one step per complete line.
  void StartTlsReadable(Worker& w, Conn& c) {
    uint8_t buf[2048];
    for (;;) {
      const ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return Complete(w, c);
      if (n < 0) break;
      c.in.insert(c.in.end(), buf, buf + n);
      if (c.in.size() > 8192) return Complete(w, c);
    }
    const StartTlsDialect& d = *c.starttls;
    for (;;) {
      const std::string_view text(reinterpret_cast<const char*>(c.in.data()), c.in.size());
      const size_t eol = text.find('\n');
      if (eol == std::string_view::npos) return;
      const std::string_view line = text.substr(0, eol);
      auto say = [&](std::string_view command) {
        return send(c.fd, command.data(), command.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(command.size());
      };
      bool ok = true;
      if (c.starttls_step == 0) {
        if (line.substr(0, d.greeting.size()) == d.greeting) {
          c.starttls_step = d.ehlo.empty() ? 2 : 1;
          ok = say(d.ehlo.empty() ? d.command : d.ehlo);
        }
      } else if (c.starttls_step == 1) {
        // SMTP capabilities: "250-..." lines, the last "250 ...".
        if (line.find(d.offer) != std::string_view::npos) c.starttls_step = 3;  // offered
        if (line.substr(0, 4) == "250 ") {
          if (c.starttls_step != 3) return Complete(w, c);  // no STARTTLS here
          c.starttls_step = 2;
          ok = say(d.command);
        } else if (line.substr(0, 3) != "250") {
          return Complete(w, c);
        }
      } else if (c.starttls_step == 3) {
        if (line.substr(0, 4) == "250 ") {
          c.starttls_step = 2;
          ok = say(d.command);
        }
      } else {
        if (line.substr(0, d.go_ahead.size()) != d.go_ahead) return Complete(w, c);
        c.in.clear();
        return StartHandshake(w, c);
      }
      if (!ok) return Complete(w, c);
      c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(eol + 1));
    }
  }

  // ---- jobs ----

  static std::string HostKey(const IpAddr& ip) {
    return std::string(reinterpret_cast<const char*>(ip.bytes.data()), ip.bytes.size()) +
           (ip.family == Family::kIpv4 ? '4' : '6');
  }

  void Begin(Worker& w, ScanRecord rec) {
    ++w.host_jobs[HostKey(rec.ip)];
    auto job = std::make_unique<Job>();
    job->rec = std::move(rec);
    job->udp = job->rec.proto == Proto::kUdp;
    job->sa_len = ToSockaddr(job->rec.ip, job->rec.port, &job->sa);
    job->start = Clock::now();
    job->grace_at = job->start + Ms(opt.grace_ms);
    job->deadline = job->start + Ms(opt.port_timeout_ms);
    Job& j = *job;
    w.jobs.push_back(std::move(job));
    ++w.stats.ports;
    const bool tcp = !j.udp;
    if (db->IsExcluded(j.rec.port, tcp)) return End(w, j);
    // A UDP port the scan only suspects (open|filtered: its payload got no answer) gets the
    // probes that list it, not the whole list: silence costs each probe its totalwaitms.
    const bool suspect = j.udp && j.rec.state != "open" && opt.intensity < 9;
    for (const Probe* p : db->ProbesFor(j.rec.port, tcp, false, opt.intensity)) {
      if (!p->IsNull() && (!suspect || p->ListsPort(j.rec.port, false))) j.plain.push_back(p);
    }
    PreferOwnProbes(j.plain, j.rec.port, false);
    if (tcp) {
      for (const Probe* p : db->ProbesFor(j.rec.port, tcp, true, opt.intensity)) {
        if (p->IsNull()) continue;
        j.secure.push_back(p);
        if (p->ListsPort(j.rec.port, true)) j.tls_hint = true;
      }
      PreferOwnProbes(j.secure, j.rec.port, true);
      Open(w, j, nullptr, false, false);  // the NULL probe
      if (j.tls_hint) StartTls(w, j);
    }
    // The probes that list the port go at once; the others after the grace.
    while (j.plain_next < j.plain.size() && j.probe_conns < opt.parallel &&
           j.plain[j.plain_next]->ListsPort(j.rec.port, false)) {
      if (Open(w, j, j.plain[j.plain_next], false, false) == nullptr) break;
      ++j.plain_next;
    }
    Pump(w, j);
  }

  bool Useful(const Conn& c, Clock::time_point now) const {
    const Job& job = *c.job;
    if (c.starttls != nullptr) return true;  // bounded by its own deadlines
    // Follow-ups and the rest of the matching reply are read for a version, until there is one.
    if (c.followup || c.hard_here) return job.hard.match->version.empty();
    // The port's own probes, already sent, may say more than a match without a version.
    if (c.probe != nullptr && job.hard.match && job.hard.match->version.empty() &&
        c.probe->ListsPort(job.rec.port, c.tls) && now - c.started < Ms(opt.followup_ms)) {
      return true;
    }
    if (c.tls && c.phase == Phase::kHandshake) {
      // A TLS server answers a ClientHello at once; silence means no TLS here.
      const auto rtt = c.connected - c.started;
      const auto silence = std::clamp<Clock::duration>(8 * rtt, Ms(100), Ms(opt.tls_silence_ms));
      return job.tls_hint || now - c.connected < silence;
    }
    // TLS is up but the hard match came from outside: the TLS side may still say more.
    return c.tls && job.tls == TlsState::kYes && !job.hard.tls;
  }

  // True while a connection of the job may still bring something. A NULL probe's connection
  // that has heard nothing does not, once a probe's connection got a reply: a server that speaks
  // first would have spoken on it too (it was opened first).
  bool Waiting(Worker& w, const Job& job) const {
    for (auto& c : w.conns) {
      if (c->job != &job || c->phase == Phase::kClosed) continue;
      const bool silent_null = c->probe == nullptr && c->phase == Phase::kReading && c->in.empty();
      if (!(silent_null && job.probe_data)) return true;
    }
    return false;
  }

  // Starts what the job may start now, and ends it when nothing more can come.
  void Pump(Worker& w, Job& job) {
    if (job.finished) return;
    const auto now = Clock::now();
    if (now >= job.deadline || (opt.stop != nullptr && opt.stop->load())) return End(w, job);
    if (job.hard.match) {
      if (!job.hard.tls) StartStartTls(w, job);
      const std::string service = BareService(job.hard.match->service);
      if (job.hard.match->version.empty() && !job.followups_started) {
        job.followups_started = true;
        int n = 0;
        auto& tried = job.hard.tls ? job.tried_secure : job.tried_plain;
        for (const Probe& p : db->probes()) {
          if (n >= kMaxFollowups) break;
          if (p.tcp == job.udp || p.IsNull() || tried.contains(&p) || !p.MayDetect(service)) {
            continue;
          }
          if (Open(w, job, &p, job.hard.tls, true) == nullptr) break;
          ++n;
        }
      }
      bool waiting = false;
      for (auto& c : w.conns) {
        if (c->job == &job && c->phase != Phase::kClosed && Useful(*c, now)) waiting = true;
      }
      // A TLS port with the hard match from outside TLS: run the TLS side's plan too.
      const bool tls_side = job.tls == TlsState::kYes && !job.hard.tls;
      if (!waiting && !tls_side) return End(w, job);
      if (!tls_side) return;
    }
    if (now < job.grace_at) return;
    if (!job.udp && job.tls == TlsState::kUnknown) StartTls(w, job);
    const bool secure = job.tls == TlsState::kYes;
    auto& plan = secure ? job.secure : job.plain;
    auto& next = secure ? job.secure_next : job.plain_next;
    if (secure && next == 0) {
      // Inside TLS, the banner first: a NULL probe of its own besides the handshake's.
    }
    const std::string soft = job.soft.match ? BareService(job.soft.match->service) : "";
    while (next < plan.size() && job.probe_conns < opt.parallel) {
      const Probe* p = plan[next];
      if (!soft.empty() && soft != "ssl" && !p->MayDetect(soft)) {
        ++next;
        continue;
      }
      if (Open(w, job, p, secure, false) == nullptr) break;
      ++next;
    }
    if (next >= plan.size() && job.tls != TlsState::kTrying && !Waiting(w, job)) End(w, job);
  }

  void End(Worker& w, Job& job) {
    if (job.finished) return;
    job.finished = true;
    const auto host = w.host_jobs.find(HostKey(job.rec.ip));
    if (host != w.host_jobs.end() && --host->second <= 0) w.host_jobs.erase(host);
    for (auto& c : w.conns) {
      if (c->job == &job) Close(w, *c);
    }
    ScanRecord& rec = job.rec;
    const Found* best = job.hard.match   ? &job.hard
                        : job.weak.match ? &job.weak
                        : job.soft.match ? &job.soft
                                         : nullptr;
    if (best != nullptr) {
      ServiceMatch m = *best->match;
      Refine(m, rec.port, !job.udp, best->reply);
      const bool in_tls = best->tls || (NamesSsl(m.service) && job.tls == TlsState::kYes);
      rec.service = in_tls || NamesSsl(m.service) ? TlsServiceName(m.service) : m.service;
      rec.product = m.product;
      rec.version = m.version;
      rec.info = m.info;
      rec.cpe.clear();
      for (const std::string& cpe : m.cpes) rec.cpe += (rec.cpe.empty() ? "" : " ") + cpe;
      rec.banner_hash = BannerHash(best->reply);
      if (!m.soft) ++w.stats.identified;
    } else if (job.tls == TlsState::kYes) {
      rec.service = "ssl";
      rec.banner_hash = BannerHash(job.first_reply);
    } else if (job.null_wrapped && !job.any_data) {
      rec.service = "tcpwrapped";
    } else {
      rec.banner_hash = BannerHash(job.first_reply);
    }
    if (job.tls == TlsState::kYes) {
      rec.tls = job.tls_json;
    } else if (!job.starttls_json.empty()) {
      // The same facts, marked as read after an upgrade on a plain port.
      rec.tls = R"({"starttls":true,)" + job.starttls_json.substr(1);
    }
    if (job.udp && job.any_data && rec.state != "open") {
      rec.state = "open";  // an open|filtered port that answered a probe
      rec.reason = "udp-response";
    }
    std::lock_guard lock(done_mu);
    on_done(std::move(rec));
  }

  // ---- the loop ----

  void OnEvent(Worker& w, Conn& c, uint32_t events) {
    if (c.phase == Phase::kClosed) return;
    switch (c.phase) {
      case Phase::kConnecting: {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          if (c.tls) return TlsFailed(w, c);
          return Complete(w, c);
        }
        if (c.tls) return StartHandshake(w, c);
        if (c.starttls != nullptr) {
          c.phase = Phase::kStartTls;
          c.connected = Clock::now();
          c.deadline = c.connected + Ms(opt.followup_ms);
          return Want(w, c, EPOLLIN | EPOLLRDHUP);
        }
        return Ready(w, c);
      }
      case Phase::kStartTls:
        return StartTlsReadable(w, c);
      case Phase::kHandshake:
        return Handshake(w, c);
      case Phase::kSending:
        return Send(w, c);
      case Phase::kReading:
        if (c.interest == EPOLLOUT) Want(w, c, EPOLLIN | EPOLLRDHUP);
        if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) Readable(w, c);
        return;
      case Phase::kClosed:
        return;
    }
  }

  void OnTimers(Worker& w, Clock::time_point now) {
    for (auto& cp : w.conns) {
      Conn& c = *cp;
      if (c.phase == Phase::kClosed) continue;
      auto due = c.deadline;
      if (c.phase == Phase::kReading && !c.in.empty()) {
        due = std::min(due, c.last_data + Ms(opt.idle_ms));
      }
      if (now >= due) {
        if (c.phase == Phase::kConnecting && c.tls) {
          TlsFailed(w, c);
        } else {
          Complete(w, c);
        }
      }
    }
    for (auto& job : w.jobs) {
      if (!job->finished) Pump(w, *job);
    }
  }

  int NextWakeMs(Worker& w, Clock::time_point now) {
    auto next = now + Ms(100);
    for (auto& c : w.conns) {
      if (c->phase == Phase::kClosed) continue;
      next = std::min(next, c->deadline);
      if (c->phase == Phase::kReading && !c->in.empty()) {
        next = std::min(next, c->last_data + Ms(opt.idle_ms));
      }
    }
    for (auto& job : w.jobs) {
      if (job->finished) continue;
      if (now < job->grace_at) next = std::min(next, job->grace_at);
      next = std::min(next, job->deadline);
    }
    const auto ms = std::chrono::duration_cast<Ms>(next - now).count();
    return static_cast<int>(std::clamp<int64_t>(ms + 1, 0, 100));
  }

  void Reap(Worker& w) {
    if (!w.dead.empty()) {
      std::set<Conn*> dead(w.dead.begin(), w.dead.end());
      w.conns.remove_if([&](const std::unique_ptr<Conn>& c) { return dead.contains(c.get()); });
      w.dead.clear();
    }
    w.jobs.remove_if([](const std::unique_ptr<Job>& j) { return j->finished && j->conns == 0; });
  }

  void Run(Worker& w) {
    epoll_event events[256];
    for (;;) {
      // Admit queued ports while there is room.
      std::vector<ScanRecord> start;
      bool closing;
      {
        std::lock_guard lock(w.mu);
        // In order, but an address at its per_host limit waits while others go ahead (looking
        // at most kMaxSkipped ports past the first that waits).
        constexpr int kMaxSkipped = 256;
        int skipped = 0;
        std::unordered_map<std::string, int> taking;
        for (auto it = w.queue.begin();
             it != w.queue.end() && skipped < kMaxSkipped &&
             static_cast<int>(w.jobs.size() + start.size()) < w.max_jobs;) {
          const std::string host = HostKey(it->ip);
          const auto known = w.host_jobs.find(host);
          const int busy = (known == w.host_jobs.end() ? 0 : known->second) + taking[host];
          if (busy >= opt.per_host) {
            ++skipped;
            ++it;
            continue;
          }
          ++taking[host];
          start.push_back(std::move(*it));
          it = w.queue.erase(it);
        }
        closing = w.closing && w.queue.empty();
      }
      for (ScanRecord& r : start) Begin(w, std::move(r));
      Reap(w);
      if (closing && w.jobs.empty() && start.empty()) return;
      const int n = epoll_wait(w.epfd, events, 256, NextWakeMs(w, Clock::now()));
      for (int i = 0; i < n; ++i) {
        if (events[i].data.ptr == nullptr) {
          uint64_t v;
          [[maybe_unused]] ssize_t r = read(w.evfd, &v, sizeof(v));
          continue;
        }
        auto* c = static_cast<Conn*>(events[i].data.ptr);
        OnEvent(w, *c, events[i].events);
      }
      OnTimers(w, Clock::now());
      Reap(w);
    }
  }
};

Detector::Detector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Detector::~Detector() {
  if (!impl_->finished) Finish();
}

Result<std::unique_ptr<Detector>> Detector::Start(const ProbeDb& db, const DetectOptions& options,
                                                  std::function<void(ScanRecord)> on_done) {
  auto impl = std::make_unique<Impl>();
  impl->db = &db;
  impl->opt = options;
  impl->opt.parallel = std::max(1, options.parallel);
  impl->on_done = std::move(on_done);
  // OpenSSL writes to its sockets with write(): a peer that resets while we write would raise
  // SIGPIPE and kill the process. Ignored process-wide (the writes get EPIPE instead).
  std::signal(SIGPIPE, SIG_IGN);
  impl->ssl_ctx = NewDetectionTlsContext();
  if (!impl->ssl_ctx) return InternalError("OpenSSL: cannot make a TLS client context");
  int threads = options.threads;
  if (threads <= 0) {
    threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  }
  const int budget = std::max(8, options.max_connections / threads);
  for (int i = 0; i < threads; ++i) {
    auto w = std::make_unique<Impl::Worker>();
    w->impl = impl.get();
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->epfd < 0 || w->evfd < 0) {
      impl->workers.push_back(std::move(w));
      return ErrnoStatus(errno, "detector: epoll/eventfd");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev);
    w->conn_budget = budget;
    w->max_jobs = std::max(1, budget / (impl->opt.parallel + 3));
    impl->workers.push_back(std::move(w));
  }
  for (auto& w : impl->workers) {
    Impl::Worker* wp = w.get();
    Impl* ip = impl.get();
    w->thread = std::thread([ip, wp] { ip->Run(*wp); });
  }
  return std::unique_ptr<Detector>(new Detector(std::move(impl)));
}

void Detector::Add(ScanRecord record) {
  // An address's ports all go to one event loop, which holds them to `per_host` at a time.
  const size_t h = std::hash<std::string>{}(Impl::HostKey(record.ip));
  auto& w = *impl_->workers[h % impl_->workers.size()];
  {
    std::lock_guard lock(w.mu);
    w.queue.push_back(std::move(record));
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t r = write(w.evfd, &one, sizeof(one));
}

DetectStats Detector::Finish() {
  DetectStats total;
  if (impl_->finished) return total;
  impl_->finished = true;
  for (auto& w : impl_->workers) {
    {
      std::lock_guard lock(w->mu);
      w->closing = true;
    }
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t r = write(w->evfd, &one, sizeof(one));
  }
  for (auto& w : impl_->workers) {
    if (w->thread.joinable()) w->thread.join();
    total.ports += w->stats.ports;
    total.identified += w->stats.identified;
    total.connections += w->stats.connections;
    total.tls_handshakes += w->stats.tls_handshakes;
    total.probes_sent += w->stats.probes_sent;
  }
  return total;
}

Result<std::vector<ScanRecord>> DetectServices(const ProbeDb& db, std::vector<ScanRecord> ports,
                                               const DetectOptions& options, DetectStats* stats) {
  std::vector<ScanRecord> out;
  std::mutex mu;
  auto detector = Detector::Start(db, options, [&](ScanRecord r) {
    std::lock_guard lock(mu);
    out.push_back(std::move(r));
  });
  if (!detector) return detector.error();
  const std::vector<ScanRecord> order = ports;
  for (ScanRecord& r : ports) (*detector)->Add(std::move(r));
  const DetectStats s = (*detector)->Finish();
  if (stats != nullptr) *stats = s;
  // Back into the order given.
  std::vector<ScanRecord> sorted;
  sorted.reserve(order.size());
  std::vector<bool> used(out.size(), false);
  for (const ScanRecord& want : order) {
    for (size_t i = 0; i < out.size(); ++i) {
      if (!used[i] && out[i].ip == want.ip && out[i].port == want.port &&
          out[i].proto == want.proto) {
        used[i] = true;
        sorted.push_back(std::move(out[i]));
        break;
      }
    }
  }
  return sorted;
}

}  // namespace portatlas::scan
