// The raw engine against loopback listeners. Runs through the CTest test raw_scan_netns, which
// starts it in a network namespace of its own (unshare --net) with lo up and route_localnet and
// accept_local on, since Linux drops raw IPv4 frames to 127.0.0.0/8 otherwise; elsewhere it skips.
// Traffic goes only to 127.0.0.1 and ::1 of that namespace.
#include "scan/raw_scanner.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "scan/packet.h"

namespace portatlas::scan {
namespace {

bool CanUseRawSockets() {
  const int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) return false;
  close(fd);
  return true;
}

bool LoopbackRoutable() {
  FILE* f = std::fopen("/proc/sys/net/ipv4/conf/lo/accept_local", "r");
  if (f == nullptr) return false;
  int v = 0;
  const bool ok = std::fscanf(f, "%d", &v) == 1;
  std::fclose(f);
  return ok && v == 1;
}

// A socket of `type` bound to an ephemeral port of `addr` ("127.0.0.1" or "::1").
int BoundSocket(const char* addr, int type, uint16_t& port) {
  const bool v6 = std::string_view(addr) == "::1";
  const int fd = socket(v6 ? AF_INET6 : AF_INET, type, 0);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v6) {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    inet_pton(AF_INET6, addr, &s->sin6_addr);
    len = sizeof *s;
  } else {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    inet_pton(AF_INET, addr, &s->sin_addr);
    len = sizeof *s;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return -1;
  if (type == SOCK_STREAM && listen(fd, 64) != 0) return -1;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                  : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

using Found = std::map<std::pair<std::string, uint16_t>, PortState>;

Found Collect(const TargetSet& targets, const std::vector<uint16_t>& ports, RawOptions o,
              RawStats* stats_out = nullptr) {
  Found found;
  std::mutex mu;
  auto stats = RawScan(targets, ports, o, [&](const PortResult& r) {
    std::lock_guard lock(mu);
    EXPECT_TRUE(found.emplace(std::make_pair(r.ip.ToString(), r.port), r.state).second)
        << "reported twice: " << r.ip.ToString() << ":" << r.port;
  });
  EXPECT_TRUE(stats.has_value()) << stats.error().message();
  if (stats.has_value() && stats_out != nullptr) *stats_out = *stats;
  return found;
}

class RawScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CanUseRawSockets()) GTEST_SKIP() << "needs root or CAP_NET_RAW";
    if (!LoopbackRoutable()) GTEST_SKIP() << "runs in its own namespace (CTest raw_scan_netns)";
  }
};

TEST_F(RawScanTest, SynScanFindsExactlyTheListenersV4AndV6) {
  std::vector<int> fds;
  std::set<std::pair<std::string, uint16_t>> listening;
  std::vector<uint16_t> ports;
  for (const char* addr : {"127.0.0.1", "::1"}) {
    for (int i = 0; i < 3; ++i) {
      uint16_t port = 0;
      const int fd = BoundSocket(addr, SOCK_STREAM, port);
      ASSERT_GE(fd, 0);
      fds.push_back(fd);
      listening.emplace(addr, port);
      ports.push_back(port);
    }
  }
  // Closed ports around them too.
  for (uint16_t p = 1; p < 400; ++p) ports.push_back(static_cast<uint16_t>(p + 20000));
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  auto targets = ParseTargets({"127.0.0.1", "::1"}, SystemResolve);
  ASSERT_TRUE(targets.has_value());
  RawOptions o;
  o.wait_ms = 500;
  RawStats stats;
  Found found = Collect(*targets, ports, o, &stats);
  std::set<std::pair<std::string, uint16_t>> open;
  size_t closed = 0;
  for (const auto& [key, state] : found) {
    if (state == PortState::kOpen) open.insert(key);
    if (state == PortState::kClosed) ++closed;
  }
  EXPECT_EQ(open, listening);
  EXPECT_EQ(found.size(), 2 * ports.size());  // every probe accounted for
  EXPECT_EQ(closed + open.size(), found.size()) << "loopback answers every probe";
  EXPECT_EQ(stats.open, 6u);
  EXPECT_GE(stats.rsts, 6u);
  EXPECT_EQ(stats.interface, "lo");
  for (int fd : fds) close(fd);
}

TEST_F(RawScanTest, UdpScanTellsOpenClosedAndSilent) {
  uint16_t echo_port = 0, silent_port = 0;
  const int echo = BoundSocket("127.0.0.1", SOCK_DGRAM, echo_port);
  const int silent = BoundSocket("127.0.0.1", SOCK_DGRAM, silent_port);
  ASSERT_GE(echo, 0);
  ASSERT_GE(silent, 0);
  std::atomic<bool> done{false};
  std::thread responder([&] {
    char buf[2048];
    while (!done) {
      pollfd pfd{echo, POLLIN, 0};
      if (poll(&pfd, 1, 20) <= 0) continue;
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      const ssize_t n =
          recvfrom(echo, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n >= 0) sendto(echo, "pong", 4, 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  });
  std::vector<uint16_t> ports = {echo_port, silent_port, 20999, 21999};
  std::sort(ports.begin(), ports.end());
  auto targets = ParseTargets({"127.0.0.1"}, SystemResolve);
  RawOptions o;
  o.mode = RawMode::kUdp;
  o.wait_ms = 300;
  o.retries = 1;
  static const uint8_t kPing[] = {'p', 'i', 'n', 'g'};
  o.udp_payload = [](uint16_t, int) { return std::span<const uint8_t>(kPing); };
  Found found = Collect(*targets, ports, o);
  done = true;
  responder.join();
  auto state = [&](uint16_t port) { return found[std::make_pair(std::string("127.0.0.1"), port)]; };
  EXPECT_EQ(state(echo_port), PortState::kOpen);
  EXPECT_EQ(state(silent_port), PortState::kOpenFiltered);
  EXPECT_EQ(state(20999), PortState::kClosed);
  EXPECT_EQ(state(21999), PortState::kClosed);
  close(echo);
  close(silent);
}

TEST_F(RawScanTest, ResumeSendsOnlyTheRestOfTheOrder) {
  auto targets = ParseTargets({"127.0.0.1"}, SystemResolve);
  std::vector<uint16_t> ports;
  for (uint16_t p = 30000; p < 30200; ++p) ports.push_back(p);
  RawOptions o;
  o.seed = 1234;
  o.start_index = 150;
  o.wait_ms = 300;
  RawStats stats;
  Found second = Collect(*targets, ports, o, &stats);
  EXPECT_EQ(second.size(), 50u);
  EXPECT_EQ(stats.next_index, 200u);
  o.start_index = 0;
  std::atomic<bool> stop{false};
  o.stop = &stop;
  o.rate_pps = 1000;
  Found first;
  std::mutex mu;
  auto st = RawScan(*targets, ports, o, [&](const PortResult& r) {
    std::lock_guard lock(mu);
    first.emplace(std::make_pair(r.ip.ToString(), r.port), r.state);
    if (first.size() >= 10) stop = true;
  });
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->interrupted);
  EXPECT_LT(st->next_index, 200u);
  // With the same seed, positions [next_index, 200) of the first run are the ports the resumed
  // run covers from there: together nothing is scanned twice and nothing missed.
  o.stop = nullptr;
  o.rate_pps = 0;
  o.start_index = st->next_index;
  Found rest = Collect(*targets, ports, o);
  std::set<uint16_t> all;
  for (const auto& [k, v] : first) all.insert(k.second);
  for (const auto& [k, v] : rest) {
    EXPECT_FALSE(first.count(k)) << k.second << " scanned twice";
    all.insert(k.second);
  }
  EXPECT_EQ(all.size(), 200u);
}

TEST_F(RawScanTest, TooManyProbesAreRefusedBeforeSending) {
  auto targets = ParseTargets({"127.0.0.0/8"}, SystemResolve);
  std::vector<uint16_t> ports;
  for (uint32_t p = 1; p <= 65535; ++p) ports.push_back(static_cast<uint16_t>(p));
  auto st = RawScan(*targets, ports, RawOptions{}, [](const PortResult&) {});
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message().find("split the targets"), std::string::npos);
}

}  // namespace
}  // namespace portatlas::scan
