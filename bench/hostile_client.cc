// hostile_client: plays hostile and careless HTTP clients against a server on 127.0.0.1 and
// measures what they cost it (issue 12's acceptance benchmark; bench/hostile_bench.sh drives it).
//
//   hostile_client bodies --port P --pid PID --token T [--size BYTES] [--count N]
//       N hostile bodies from a token holder and N from nobody, all at once, to
//       /v1/ingest/ports: deep nesting ('[' only), a huge array ("0,0,..."), one long string.
//       Prints the statuses, the bytes the server took in (bodies it answered 400 after
//       reading them whole) and its peak RSS above the RSS before.
//   hostile_client slow --port P --pid PID --query PATH [--token T] [--count N] [--seconds S]
//       N connections that send a request header one byte a second (reopened when the server
//       closes them, as an attacker would), while one client times the query PATH.
//   hostile_client idle --port P --pid PID --query PATH [--token T] [--count N] [--seconds S]
//       N keep-alive connections that make one request each and then sit idle; then the
//       server's CPU over S seconds, and the query timed.
//
// Connections come from 127.0.0.2-127.0.0.101 (any address of 127/8 is local), a hundred
// sources as a hundred clients would be. Output: RESULT lines of key=value.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode;
  int port = 0;
  int pid = 0;
  std::string token;
  std::string query = "/healthz";
  size_t size = 60u << 20;
  int count = 8;
  int seconds = 10;
};

int Connect(int port, int source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(0x7f000000u | static_cast<uint32_t>(source));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

int Source(int i) { return 2 + i % 100; }

bool SendAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Reads one response (headers and a Content-Length body); its status, 0 when none came.
int ReadResponse(int fd) {
  std::string in;
  char buf[8192];
  size_t header_end = std::string::npos;
  while ((header_end = in.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return 0;
    in.append(buf, static_cast<size_t>(n));
  }
  size_t length = 0;
  std::string lower = in.substr(0, header_end);
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (const size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
    length = std::strtoul(lower.c_str() + at + 17, nullptr, 10);
  }
  while (in.size() < header_end + 4 + length) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  return in.size() > 12 ? std::atoi(in.c_str() + 9) : 0;
}

long StatusKb(int pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const size_t k = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, k, key) == 0) return std::atol(line.c_str() + k + 1);
  }
  return -1;
}

// CPU seconds (user + system) of every thread of `pid`.
double CpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string Request(const Options& o, bool keep_alive) {
  std::string r = "GET " + o.query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!o.token.empty()) r += "X-Auth-Token: " + o.token + "\r\n";
  if (!keep_alive) r += "Connection: close\r\n";
  return r + "\r\n";
}

// Times `n` sequential queries on one keep-alive connection (reopened if the server closes it).
// Returns the latencies in milliseconds; a failed query counts as 30 s.
std::vector<double> TimeQueries(const Options& o, int n, int* failures) {
  std::vector<double> ms;
  int fd = -1;
  const std::string req = Request(o, true);
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    int status = 0;
    for (int attempt = 0; attempt < 2 && status == 0; ++attempt) {
      if (fd < 0) fd = Connect(o.port, 1);
      if (fd >= 0 && SendAll(fd, req.data(), req.size())) status = ReadResponse(fd);
      if (status == 0 && fd >= 0) {
        ::close(fd);
        fd = -1;
      }
    }
    const double took = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (status != 200) ++*failures;
    ms.push_back(status == 200 ? took : 30000.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (fd >= 0) ::close(fd);
  std::sort(ms.begin(), ms.end());
  return ms;
}

double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

void PrintLatency(const char* name, const std::vector<double>& ms, int failures,
                  const std::string& extra) {
  std::printf("RESULT %s queries=%zu failed=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f %s\n", name,
              ms.size(), failures, Quantile(ms, 0.5), Quantile(ms, 0.99),
              ms.empty() ? 0.0 : ms.back(), extra.c_str());
}

std::string Body(int kind, size_t size) {
  std::string b;
  b.reserve(size);
  if (kind == 0) {
    b.assign(size, '[');
  } else if (kind == 1) {
    b = "[";
    while (b.size() + 2 < size) b += "0,";
    b += "0]";
  } else {
    b = R"({"host_id":")";
    b.append(size - b.size() - 2, 'a');
    b += "\"}";
  }
  b.resize(size, ' ');
  return b;
}

int Bodies(const Options& o) {
  const std::vector<std::string> bodies = {Body(0, o.size), Body(1, o.size), Body(2, o.size)};
  const long base_kb = StatusKb(o.pid, "VmRSS:");
  std::atomic<bool> done{false};
  std::atomic<long> peak_kb{base_kb};
  std::thread sampler([&] {
    while (!done) {
      const long kb = StatusKb(o.pid, "VmRSS:");
      long seen = peak_kb.load();
      while (kb > seen && !peak_kb.compare_exchange_weak(seen, kb)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::mutex mu;
  std::map<std::string, int> statuses;  // "token:400" -> count
  size_t accepted = 0;
  std::vector<std::thread> clients;
  const auto t0 = Clock::now();
  for (int i = 0; i < 2 * o.count; ++i) {
    clients.emplace_back([&, i] {
      const bool with_token = i < o.count;
      const std::string& body = bodies[static_cast<size_t>(i) % bodies.size()];
      std::string head = "POST /v1/ingest/ports HTTP/1.1\r\nHost: 127.0.0.1\r\n";
      head += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size());
      head += "\r\n";
      if (with_token) head += "X-Auth-Token: " + o.token + "\r\n";
      head += "\r\n";
      int status = 0;
      const int fd = Connect(o.port, Source(i));
      if (fd >= 0) {
        // A refusal may come, and the connection close, before the body is all sent.
        if (SendAll(fd, head.data(), head.size())) SendAll(fd, body.data(), body.size());
        status = ReadResponse(fd);
        ::close(fd);
      }
      std::lock_guard<std::mutex> lock(mu);
      ++statuses[std::string(with_token ? "token:" : "nobody:") + std::to_string(status)];
      if (status == 400) accepted += body.size();  // read whole, then refused by the parse
    });
  }
  for (auto& c : clients) c.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  done = true;
  sampler.join();
  std::string codes;
  for (const auto& [k, n] : statuses)
    codes += (codes.empty() ? "" : ",") + k + "x" + std::to_string(n);
  const double grew_mib = static_cast<double>(peak_kb.load() - base_kb) / 1024.0;
  const double accepted_mib = static_cast<double>(accepted) / (1 << 20);
  std::printf(
      "RESULT bodies count=%d size_mib=%.0f statuses=%s seconds=%.1f accepted_mib=%.0f "
      "base_rss_mib=%.0f peak_rss_mib=%.0f grew_mib=%.0f grew_per_accepted=%.2f\n",
      o.count, static_cast<double>(o.size) / (1 << 20), codes.c_str(), secs, accepted_mib,
      static_cast<double>(base_kb) / 1024.0, static_cast<double>(peak_kb.load()) / 1024.0, grew_mib,
      accepted_mib > 0 ? grew_mib / accepted_mib : 0.0);
  return 0;
}

int Slow(const Options& o) {
  // Each slow client sends this header one byte a second and never finishes it.
  const std::string header =
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(4096, 'p');
  std::vector<int> fds(static_cast<size_t>(o.count), -1);
  std::vector<size_t> sent(fds.size(), 0);
  std::atomic<bool> done{false};
  std::atomic<int> reopened{0}, open_now{0};
  for (size_t i = 0; i < fds.size(); ++i) fds[i] = Connect(o.port, Source(static_cast<int>(i)));
  std::thread dripper([&] {
    while (!done) {
      int open = 0;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (fds[i] >= 0 && sent[i] < header.size() &&
            ::send(fds[i], header.data() + sent[i], 1, MSG_NOSIGNAL) == 1) {
          ++sent[i];
          ++open;
          continue;
        }
        if (fds[i] >= 0) ::close(fds[i]);  // closed by the server: come back
        fds[i] = Connect(o.port, Source(static_cast<int>(i)));
        sent[i] = 0;
        ++reopened;
      }
      open_now = open;
      for (int t = 0; t < 10 && !done; ++t)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(std::min(2, o.seconds)));
  int failures = 0;
  const int queries = std::max(20, o.seconds * 1000 / 25);
  const auto ms = TimeQueries(o, queries, &failures);
  done = true;
  dripper.join();
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  PrintLatency("slow", ms, failures,
               "slow_clients=" + std::to_string(o.count) +
                   " dripping=" + std::to_string(open_now.load()) +
                   " reopened=" + std::to_string(reopened.load()));
  return 0;
}

int Idle(const Options& o) {
  std::vector<int> fds;
  const std::string req = Request(o, true);
  int answered = 0;
  for (int i = 0; i < o.count; ++i) {
    const int fd = Connect(o.port, Source(i));
    if (fd < 0) continue;
    fds.push_back(fd);
    if (SendAll(fd, req.data(), req.size()) && ReadResponse(fd) == 200) ++answered;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double cpu0 = CpuSeconds(o.pid);
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  const double idle_cpu = CpuSeconds(o.pid) - cpu0;
  int failures = 0;
  const auto ms = TimeQueries(o, std::max(20, o.seconds * 1000 / 25), &failures);
  int still_open = 0;
  for (int fd : fds) {
    char c;
    const ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ++still_open;
    ::close(fd);
  }
  char extra[200];
  std::snprintf(extra, sizeof extra,
                "idle_clients=%d answered=%d still_open=%d idle_cpu_s=%.2f over_s=%d", o.count,
                answered, still_open, idle_cpu, o.seconds);
  PrintLatency("idle", ms, failures, extra);
  return 0;
}

bool ParseArgs(int argc, char** argv, Options* o) {
  if (argc < 2) return false;
  o->mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") {
      o->port = std::atoi(v.c_str());
    } else if (k == "--pid") {
      o->pid = std::atoi(v.c_str());
    } else if (k == "--token") {
      o->token = v;
    } else if (k == "--query") {
      o->query = v;
    } else if (k == "--size") {
      o->size = std::strtoul(v.c_str(), nullptr, 10);
    } else if (k == "--count") {
      o->count = std::atoi(v.c_str());
    } else if (k == "--seconds") {
      o->seconds = std::atoi(v.c_str());
    } else {
      return false;
    }
  }
  return o->port > 0 && o->pid > 0 && o->count > 0 && o->size >= 64;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: hostile_client bodies|slow|idle --port P --pid PID [--token T] "
                 "[--query PATH] [--size BYTES] [--count N] [--seconds S]\n");
    return 2;
  }
  if (o.mode == "bodies") return Bodies(o);
  if (o.mode == "slow") return Slow(o);
  if (o.mode == "idle") return Idle(o);
  std::fprintf(stderr, "hostile_client: unknown mode %s\n", o.mode.c_str());
  return 2;
}
