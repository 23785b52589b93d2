// raw_rate: how closely the raw engine holds a set rate on the wire. Counts our SYNs on lo as
// they arrive (kernel receive order, this process's clock) while RawScan sends PORTS probes to
// 127.0.0.1 at RATE per second, and prints the measured rate and its ratio to the one set.
// Needs root and a network namespace where raw frames to 127.0.0.1 are accepted:
//
//   unshare --net sh -c 'ip link set lo up &&
//     sysctl -qw net.ipv4.conf.lo.route_localnet=1 net.ipv4.conf.lo.accept_local=1 &&
//     build/release/bench/raw_rate [RATE] [PORTS]'
//
// (the timing moved here from the test suite: pacing itself is asserted on a virtual clock in
// src/scan/raw_engine_test.cc). Traffic goes only to 127.0.0.1 of that namespace.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "scan/packet.h"
#include "scan/raw_scanner.h"
#include "scan/targets.h"

namespace {

using portatlas::scan::kTcpSyn;
using Stamps = std::vector<std::chrono::steady_clock::time_point>;

// A packet socket on lo, incoming frames only.
int OpenCapture() {
  const int cap = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (cap < 0) return -1;
  const int one = 1;
  setsockopt(cap, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(if_nametoindex("lo"));
  if (bind(cap, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) return -1;
  return cap;
}

// Stamps every SYN of ours to ports [first, first + n) until `done`.
void Count(int cap, uint16_t first, size_t n, const std::atomic<bool>& done, Stamps& stamps) {
  uint8_t buf[256];
  while (!done) {
    pollfd pfd{cap, POLLIN, 0};
    if (poll(&pfd, 1, 20) <= 0) continue;
    const ssize_t len = recv(cap, buf, sizeof buf, 0);
    if (len <= 0) continue;
    auto r = portatlas::scan::DecodeFrame(std::span<const uint8_t>(buf, static_cast<size_t>(len)));
    if (r && r->kind == portatlas::scan::ReplyKind::kTcp && r->tcp_flags == kTcpSyn &&
        r->dport >= first && r->dport < first + n && r->sport >= 61000) {
      stamps.push_back(std::chrono::steady_clock::now());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t rate = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 3000;
  const size_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 3000;
  const uint16_t first = 40000;
  if (rate == 0 || n < 2 || n > 20000) {
    fmt::print(stderr, "usage: raw_rate [RATE > 0] [PORTS 2-20000]\n");
    return 2;
  }
  const int cap = OpenCapture();
  if (cap < 0) {
    fmt::print(stderr, "raw_rate: needs root in a namespace with lo up (see the header)\n");
    return 2;
  }
  std::atomic<bool> done{false};
  Stamps stamps;
  std::thread counter([&] { Count(cap, first, n, done, stamps); });
  auto targets = portatlas::scan::ParseTargets({"127.0.0.1"}, portatlas::scan::SystemResolve);
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < n; ++i) ports.push_back(static_cast<uint16_t>(first + i));
  portatlas::scan::RawOptions o;
  o.rate_pps = rate;
  o.retries = 0;
  o.wait_ms = 200;
  auto stats = portatlas::scan::RawScan(*targets, ports, o, [](const auto&) {});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  done = true;
  counter.join();
  close(cap);
  if (!stats) {
    fmt::print(stderr, "raw_rate: {}\n", stats.error().message());
    return 1;
  }
  if (stamps.size() < 2) {
    fmt::print(stderr, "raw_rate: saw {} SYNs on lo\n", stamps.size());
    return 1;
  }
  const double secs = std::chrono::duration<double>(stamps.back() - stamps.front()).count();
  const double measured = static_cast<double>(stamps.size() - 1) / secs;
  fmt::print("raw_rate set={} sent={} seen={} seconds={:.3f} measured={:.0f} ratio={:.3f}\n", rate,
             stats->frames, stamps.size(), secs, measured, measured / static_cast<double>(rate));
  return 0;
}
