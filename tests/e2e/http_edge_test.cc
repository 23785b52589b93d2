// What the server answers to requests that are not proper HTTP, over a raw socket: an error
// in the gateway's shape with X-Request-Id, and it keeps serving others.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_process.h"

namespace portatlas::e2e {
namespace {

// Sends `raw` on a new connection and returns what comes back until the server closes.
std::string Exchange(int port, const std::string& raw) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0 &&
      ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(raw.size())) {
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

class HttpEdgeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start(dir_.path())); }
  TempDir dir_;
  ServerProcess server_;
};

TEST_F(HttpEdgeTest, GarbageIsBadRequestWithRequestId) {
  const std::string reply = Exchange(server_.port(), "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("X-Request-Id: "), std::string::npos) << reply;
  EXPECT_NE(reply.find("\"error_code\":\"APIGW.0201\""), std::string::npos) << reply;
  EXPECT_EQ(Http(server_.port(), "GET", "/healthz", {}).status, 200);
}

TEST_F(HttpEdgeTest, OversizedBodyIs413WithoutReadingIt) {
  const std::string reply =
      Exchange(server_.port(),
               "POST /v1/ingest/ports HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{");
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_NE(reply.find("X-Request-Id: "), std::string::npos) << reply;
  EXPECT_EQ(Http(server_.port(), "GET", "/healthz", {}).status, 200);
}

TEST_F(HttpEdgeTest, EveryAnswerCarriesRequestId) {
  for (const char* target : {"/healthz", "/nope", "/v5/p/asset/ports", "/v1/events"}) {
    HttpReply r = Http(server_.port(), "GET", target, {});
    EXPECT_EQ(r.request_id.size(), 32u) << target;
  }
}

}  // namespace
}  // namespace portatlas::e2e
