#include "scan/connect_scanner.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>
#include <string_view>

namespace portatlas::scan {
namespace {

// A TCP listener on 127.0.0.1 (or ::1) at a free port, closed on destruction.
class Listener {
 public:
  explicit Listener(Family f = Family::kIpv4) {
    fd_ = ::socket(f == Family::kIpv4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (f == Family::kIpv4) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      sin->sin_family = AF_INET;
      sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(sockaddr_in);
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_addr = in6addr_loopback;
      len = sizeof(sockaddr_in6);
    }
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0 &&
          ::listen(fd_, 64) == 0 && ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0;
    port_ = ntohs(f == Family::kIpv4 ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                     : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  }
  ~Listener() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool ok() const { return ok_; }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
  uint16_t port_ = 0;
};

TargetSet One(const char* ip) {
  TargetSet t;
  auto a = *ParseIpAddr(ip);
  t.Add(AddrRange{a.family, ToAddr128(a), ToAddr128(a)});
  return t;
}

std::map<uint16_t, PortState> Scan(const TargetSet& t, const std::vector<uint16_t>& ports,
                                   ConnectOptions o = {}) {
  std::map<uint16_t, PortState> seen;
  auto stats = ConnectScan(t, ports, o, [&](const PortResult& r) {
    EXPECT_FALSE(seen.contains(r.port)) << "port reported twice: " << r.port;
    seen[r.port] = r.state;
    if (r.state == PortState::kOpen) {
      EXPECT_EQ(r.reason, "syn-ack");
    }
    if (r.state == PortState::kClosed) {
      EXPECT_EQ(r.reason, "conn-refused");
    }
  });
  EXPECT_TRUE(stats) << stats.error().ToString();
  return seen;
}

TEST(ConnectScanTest, FindsOpenAndClosedOnLoopback) {
  Listener a, b;
  Listener gone;
  ASSERT_TRUE(a.ok() && b.ok() && gone.ok());
  const uint16_t closed = gone.port();
  gone.Close();
  auto seen = Scan(One("127.0.0.1"), {a.port(), b.port(), closed});
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[a.port()], PortState::kOpen);
  EXPECT_EQ(seen[b.port()], PortState::kOpen);
  EXPECT_EQ(seen[closed], PortState::kClosed);
}

TEST(ConnectScanTest, Ipv6Loopback) {
  Listener a(Family::kIpv6);
  if (!a.ok()) GTEST_SKIP() << "no IPv6 loopback here";
  auto seen = Scan(One("::1"), {a.port()});
  EXPECT_EQ(seen[a.port()], PortState::kOpen);
}

// Exactly the listeners among thousands of ports, whatever the concurrency.
TEST(ConnectScanTest, ExactOverARangeAtAnyConcurrency) {
  std::vector<std::unique_ptr<Listener>> listeners;
  std::set<uint16_t> open;
  for (int i = 0; i < 40; ++i) {
    listeners.push_back(std::make_unique<Listener>());
    ASSERT_TRUE(listeners.back()->ok());
    open.insert(listeners.back()->port());
  }
  std::vector<uint16_t> ports(open.begin(), open.end());
  for (uint16_t p = 40000; p < 43000; ++p) {
    if (!open.contains(p)) ports.push_back(p);
  }
  for (int in_flight : {1, 7, 2048}) {
    ConnectOptions o;
    o.max_in_flight = in_flight;
    o.per_host = in_flight;
    auto seen = Scan(One("127.0.0.1"), ports, o);
    ASSERT_EQ(seen.size(), ports.size()) << in_flight;
    std::set<uint16_t> found;
    for (auto& [port, st] : seen) {
      if (st == PortState::kOpen) found.insert(port);
    }
    // Ports in 40000-43000 may belong to other programs' listeners on this machine.
    for (uint16_t p : open) EXPECT_TRUE(found.contains(p)) << p << " at " << in_flight;
    for (uint16_t p : found) {
      if (!open.contains(p)) {
        EXPECT_TRUE(p >= 40000 && p < 43000);
      }
    }
  }
}

TEST(ConnectScanTest, SeveralHostsAndProgress) {
  Listener a;
  ASSERT_TRUE(a.ok());
  TargetSet t = One("127.0.0.1");
  t.Add(One("127.0.0.2").ranges().front());
  t.Add(One("127.0.0.3").ranges().front());
  int results = 0;
  int open = 0;
  uint64_t last_done = 0;
  uint64_t last_total = 0;
  auto stats = ConnectScan(
      t, {a.port()}, {},
      [&](const PortResult& r) {
        ++results;
        if (r.state == PortState::kOpen) {
          ++open;
          EXPECT_EQ(r.ip.ToString(), "127.0.0.1");
        }
      },
      [&](uint64_t done, uint64_t total) {
        last_done = done;
        last_total = total;
      });
  ASSERT_TRUE(stats);
  EXPECT_EQ(results, 3);
  EXPECT_EQ(open, 1);  // bound to 127.0.0.1 only
  EXPECT_EQ(stats->open, 1u);
  EXPECT_EQ(stats->closed, 2u);
  EXPECT_EQ(last_done, 3u);
  EXPECT_EQ(last_total, 3u);
}

TEST(ConnectScanTest, NothingToDo) {
  auto stats = ConnectScan(TargetSet{}, {22}, {}, [](const PortResult&) { FAIL(); });
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->probes, 0u);
}

// Our sockets to `port` still lingering after close: FIN_WAIT1, FIN_WAIT2 or TIME_WAIT (states
// 04, 05, 06 in /proc/net/tcp), which a close without an RST leaves behind.
int LingeringTo(uint16_t port) {
  FILE* f = std::fopen("/proc/net/tcp", "r");
  if (f == nullptr) return -1;
  char line[512];
  int n = 0;
  char want[8];
  std::snprintf(want, sizeof want, ":%04X", port);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    char local[64], remote[64], state[8];
    if (std::sscanf(line, "%*s %63s %63s %7s", local, remote, state) != 3) continue;
    const std::string_view st(state);
    if ((st == "04" || st == "05" || st == "06") && std::string_view(remote).ends_with(want)) {
      ++n;
    }
  }
  std::fclose(f);
  return n;
}

TEST(ConnectScannerTest, OpenPortsAreClosedWithAnRstAndLeaveNothingBehind) {
  Listener open;
  ASSERT_TRUE(open.ok());
  for (int i = 0; i < 20; ++i) {
    auto seen = Scan(One("127.0.0.1"), {open.port()});
    ASSERT_EQ(seen[open.port()], PortState::kOpen);
  }
  EXPECT_EQ(LingeringTo(open.port()), 0);
}

}  // namespace
}  // namespace portatlas::scan
