#include "flow/udp_receiver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace portatlas::flow {
namespace {

// Sends `n` datagrams of `size` bytes to 127.0.0.1:port; the first byte of each is its index.
void Send(uint16_t port, int n, size_t size) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<uint8_t> buf(size, 0x55);
  for (int i = 0; i < n; ++i) {
    buf[0] = static_cast<uint8_t>(i);
    ASSERT_EQ(sendto(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
              static_cast<ssize_t>(size));
  }
  close(fd);
}

TEST(UdpReceiverTest, ParsesListenAddresses) {
  auto a = ParseListenAddress("udp://127.0.0.1:2055");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->ip.ToString(), "127.0.0.1");
  EXPECT_EQ(a->port, 2055);
  auto b = ParseListenAddress("[::1]:4739");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->ip.ToString(), "::1");
  for (const char* bad : {"tcp://127.0.0.1:1", "127.0.0.1", "::1:5", "[::1]5", "host:1",
                          "127.0.0.1:70000", "127.0.0.1:", ""}) {
    EXPECT_FALSE(ParseListenAddress(bad)) << bad;
  }
}

TEST(UdpReceiverTest, ReceivesBatchesWithTheirSenders) {
  auto r = UdpReceiver::Open(*ParseListenAddress("127.0.0.1:0"), 1 << 20);
  ASSERT_TRUE(r) << r.error().ToString();
  Send((*r)->port(), 100, 300);
  std::vector<int> seen;
  while (seen.size() < 100) {
    auto n = (*r)->Receive(2000, [&](const IpAddr& from, std::span<const uint8_t> d) {
      EXPECT_EQ(from.ToString(), "127.0.0.1");
      EXPECT_EQ(d.size(), 300u);
      seen.push_back(d[0]);
    });
    ASSERT_TRUE(n);
    ASSERT_GT(*n, 0u) << "timed out with " << seen.size();
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
  EXPECT_EQ((*r)->kernel_drops(), 0u);
}

// A full buffer: what the kernel dropped is counted, and counted plus received is all sent.
TEST(UdpReceiverTest, CountsWhatTheKernelDropped) {
  auto r = UdpReceiver::Open(*ParseListenAddress("127.0.0.1:0"), 4096);
  ASSERT_TRUE(r) << r.error().ToString();
  Send((*r)->port(), 500, 1000);
  Send((*r)->port(), 0, 0);
  uint64_t received = 0;
  for (;;) {
    auto n = (*r)->Receive(200, [&](const IpAddr&, std::span<const uint8_t>) { ++received; });
    ASSERT_TRUE(n);
    if (*n == 0) break;
  }
  Send((*r)->port(), 1, 10);  // one more, to read the drop count after the flood
  ASSERT_TRUE((*r)->Receive(2000, [&](const IpAddr&, std::span<const uint8_t>) { ++received; }));
  EXPECT_GT((*r)->kernel_drops(), 0u);
  EXPECT_EQ(received + (*r)->kernel_drops(), 501u);
}

}  // namespace
}  // namespace portatlas::flow
