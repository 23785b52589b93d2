#include "collect/sock_diag.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

namespace portatlas::collect {
namespace {

// Appends one netlink message (header + payload, aligned) to `buf`.
void AppendMsg(std::vector<uint8_t>* buf, uint16_t type, const void* payload, size_t len) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(len));
  h.nlmsg_type = type;
  const size_t at = buf->size();
  buf->resize(at + NLMSG_ALIGN(h.nlmsg_len));
  std::memcpy(buf->data() + at, &h, sizeof(h));
  if (len > 0) std::memcpy(buf->data() + at + NLMSG_HDRLEN, payload, len);
}

inet_diag_msg DiagMsg(int family, const char* addr, uint16_t port, uint8_t state, uint32_t ino) {
  inet_diag_msg m{};
  m.idiag_family = static_cast<uint8_t>(family);
  m.idiag_state = state;
  m.id.idiag_sport = htons(port);
  m.idiag_inode = ino;
  m.idiag_uid = 33;
  EXPECT_EQ(inet_pton(family, addr, m.id.idiag_src), 1);
  return m;
}

TEST(SockDiagParseTest, ParsesV4AndV6AndDone) {
  std::vector<uint8_t> buf;
  auto a = DiagMsg(AF_INET, "127.0.0.1", 8080, kTcpListen, 11);
  auto b = DiagMsg(AF_INET6, "::ffff:127.0.0.1", 53, kTcpClose, 12);
  AppendMsg(&buf, SOCK_DIAG_BY_FAMILY, &a, sizeof(a));
  AppendMsg(&buf, SOCK_DIAG_BY_FAMILY, &b, sizeof(b));
  AppendMsg(&buf, NLMSG_DONE, nullptr, 0);
  std::vector<SocketEntry> out;
  bool done = false;
  ASSERT_TRUE(ParseSockDiagReply(buf, Proto::kTcp, &out, &done).ok());
  EXPECT_TRUE(done);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].addr.ToString(), "127.0.0.1");
  EXPECT_EQ(out[0].port, 8080);
  EXPECT_EQ(out[0].inode, 11u);
  EXPECT_EQ(out[0].uid, 33u);
  EXPECT_EQ(out[1].addr.family, Family::kIpv6);
  EXPECT_EQ(out[1].addr.ToString(), "::ffff:127.0.0.1");
  EXPECT_EQ(out[1].state, kTcpClose);
}

TEST(SockDiagParseTest, EmptyDatagramIsNotDone) {
  std::vector<SocketEntry> out;
  bool done = false;
  EXPECT_TRUE(ParseSockDiagReply({}, Proto::kTcp, &out, &done).ok());
  EXPECT_FALSE(done);
  EXPECT_TRUE(out.empty());
}

TEST(SockDiagParseTest, ErrorMessageBecomesErrnoStatus) {
  std::vector<uint8_t> buf;
  nlmsgerr err{};
  err.error = -EACCES;
  AppendMsg(&buf, NLMSG_ERROR, &err, sizeof(err));
  std::vector<SocketEntry> out;
  bool done = false;
  Status st = ParseSockDiagReply(buf, Proto::kTcp, &out, &done);
  EXPECT_EQ(st.kind(), ErrorKind::kPermissionDenied);
}

// Found by sock_diag_fuzz: INT_MIN as the error code was negated (undefined behaviour).
TEST(SockDiagParseTest, ErrorCodeThatIsNoErrnoIsAParseError) {
  for (int code : {INT_MIN, -4096, 1, INT_MAX}) {
    std::vector<uint8_t> buf;
    nlmsgerr err{};
    err.error = code;
    AppendMsg(&buf, NLMSG_ERROR, &err, sizeof(err));
    std::vector<SocketEntry> out;
    bool done = false;
    Status st = ParseSockDiagReply(buf, Proto::kTcp, &out, &done);
    EXPECT_EQ(st.kind(), ErrorKind::kParse) << code;
    EXPECT_FALSE(done) << code;
  }
}

TEST(SockDiagParseTest, AckEndsDump) {
  std::vector<uint8_t> buf;
  nlmsgerr ack{};
  AppendMsg(&buf, NLMSG_ERROR, &ack, sizeof(ack));
  std::vector<SocketEntry> out;
  bool done = false;
  EXPECT_TRUE(ParseSockDiagReply(buf, Proto::kTcp, &out, &done).ok());
  EXPECT_TRUE(done);
}

TEST(SockDiagParseTest, SkipsUnknownMessageTypes) {
  std::vector<uint8_t> buf;
  const uint32_t junk = 7;
  AppendMsg(&buf, NLMSG_NOOP, &junk, sizeof(junk));
  auto a = DiagMsg(AF_INET, "0.0.0.0", 22, kTcpListen, 5);
  AppendMsg(&buf, SOCK_DIAG_BY_FAMILY, &a, sizeof(a));
  std::vector<SocketEntry> out;
  bool done = false;
  ASSERT_TRUE(ParseSockDiagReply(buf, Proto::kTcp, &out, &done).ok());
  EXPECT_EQ(out.size(), 1u);
}

struct Corruption {
  const char* name;
  void (*mutate)(std::vector<uint8_t>*);
};

class SockDiagCorruptTest : public testing::TestWithParam<Corruption> {};

TEST_P(SockDiagCorruptTest, IsAParseErrorNotACrash) {
  std::vector<uint8_t> buf;
  auto a = DiagMsg(AF_INET, "127.0.0.2", 80, kTcpListen, 9);
  AppendMsg(&buf, SOCK_DIAG_BY_FAMILY, &a, sizeof(a));
  GetParam().mutate(&buf);
  std::vector<SocketEntry> out;
  bool done = false;
  Status st = ParseSockDiagReply(buf, Proto::kTcp, &out, &done);
  EXPECT_EQ(st.kind(), ErrorKind::kParse) << st.ToString();
  EXPECT_FALSE(done);
}

void SetLen(std::vector<uint8_t>* b, uint32_t len) { std::memcpy(b->data(), &len, sizeof(len)); }

INSTANTIATE_TEST_SUITE_P(
    Table, SockDiagCorruptTest,
    testing::Values(
        Corruption{
            "length_past_end",
            [](std::vector<uint8_t>* b) { SetLen(b, static_cast<uint32_t>(b->size() + 4)); }},
        Corruption{"length_below_header", [](std::vector<uint8_t>* b) { SetLen(b, 8); }},
        Corruption{"payload_too_short",
                   [](std::vector<uint8_t>* b) {
                     SetLen(b, NLMSG_LENGTH(4));
                     b->erase(b->begin() + NLMSG_ALIGN(NLMSG_LENGTH(4)), b->end());
                   }},
        Corruption{"truncated_datagram",
                   [](std::vector<uint8_t>* b) { b->erase(b->end() - 10, b->end()); }},
        Corruption{"trailing_bytes", [](std::vector<uint8_t>* b) { b->push_back(0); }},
        Corruption{"bad_family", [](std::vector<uint8_t>* b) { (*b)[NLMSG_HDRLEN] = AF_UNIX; }}),
    [](const testing::TestParamInfo<Corruption>& i) { return std::string(i.param.name); });

TEST(SockDiagParseTest, OversizedDumpOfManyMessages) {
  std::vector<uint8_t> buf;
  for (uint32_t i = 0; i < 5000; ++i) {
    auto m = DiagMsg(AF_INET6, "::", static_cast<uint16_t>(i), kTcpListen, i + 1);
    AppendMsg(&buf, SOCK_DIAG_BY_FAMILY, &m, sizeof(m));
  }
  std::vector<SocketEntry> out;
  bool done = false;
  ASSERT_TRUE(ParseSockDiagReply(buf, Proto::kTcp, &out, &done).ok());
  EXPECT_EQ(out.size(), 5000u);
}

// The real kernel: a listener this test opens shows up in its own namespace's dump.
TEST(SockDiagLiveTest, SeesOwnListener) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof(sa);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const uint16_t port = ntohs(sa.sin_port);

  auto diag = SockDiag::Open();
  ASSERT_TRUE(diag) << diag.error().ToString();
  std::vector<SocketEntry> out;
  ASSERT_TRUE(diag->DumpListening(&out).ok());
  const bool seen = std::any_of(out.begin(), out.end(), [&](const SocketEntry& e) {
    return e.proto == Proto::kTcp && e.port == port && e.addr.ToString() == "127.0.0.1" &&
           e.state == kTcpListen;
  });
  EXPECT_TRUE(seen);
  ::close(fd);
}

}  // namespace
}  // namespace portatlas::collect
