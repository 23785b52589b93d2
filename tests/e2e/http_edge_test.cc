// What the server answers to requests that are not proper HTTP, over a raw socket: an error
// in the gateway's shape with X-Request-Id, and it keeps serving others. Requests that could be
// framed two ways (smuggling), bodies from clients without a credential, path aliases.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

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

// How many HTTP responses `reply` holds (status lines "HTTP/1.1 NNN").
size_t Responses(const std::string& reply) {
  size_t n = 0;
  for (size_t at = reply.find("HTTP/1.1 "); at != std::string::npos;
       at = reply.find("HTTP/1.1 ", at + 1)) {
    if (at + 9 < reply.size() && reply[at + 9] >= '1' && reply[at + 9] <= '5') ++n;
  }
  return n;
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
  const std::string token = CreateToken(dir_.path(), "projA");
  ASSERT_FALSE(token.empty());
  const std::string reply = Exchange(
      server_.port(), "POST /v1/ingest/ports HTTP/1.1\r\nHost: x\r\nX-Auth-Token: " + token +
                          "\r\nContent-Length: 100000000\r\n\r\n{");
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

// RFC 9112 §6.3: a request whose Transfer-Encoding does not end in (exactly) chunked cannot be
// framed the way another hop would frame it. It is answered 400 and the connection closed, so
// the bytes after it never run as a second request.
TEST_F(HttpEdgeTest, TransferEncodingOtherThanChunkedIsRefusedAndNothingIsSmuggled) {
  const std::string smuggled =
      "GET /healthz?smuggled HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  for (const char* te : {"Transfer-Encoding: xchunked\r\n", "Transfer-Encoding: identity\r\n",
                         "Transfer-Encoding: gzip\r\n", "Transfer-Encoding: chunked, identity\r\n",
                         "Transfer-Encoding: gzip, chunked\r\n",
                         "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                         "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                         "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"}) {
    const std::string reply =
        Exchange(server_.port(),
                 std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n") + te + "\r\n" + smuggled);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << te << reply;
    EXPECT_EQ(Responses(reply), 1u) << te << reply;
    EXPECT_NE(reply.find("Connection: close"), std::string::npos) << te << reply;
  }
  // HTTP/1.0 has no transfer codings at all.
  const std::string v10 =
      Exchange(server_.port(),
               "GET /healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled);
  EXPECT_EQ(v10.rfind("HTTP/1.1 400", 0), 0u) << v10;
  EXPECT_EQ(Responses(v10), 1u) << v10;
  // Proper chunked framing still works, and a pipelined request after it is answered too.
  const std::string chunked = Exchange(
      server_.port(),
      "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" +
          smuggled);
  EXPECT_EQ(chunked.rfind("HTTP/1.1 200", 0), 0u) << chunked;
  EXPECT_EQ(Responses(chunked), 2u) << chunked;
}

// Without a credential, no body is read: the 401 comes on the header alone, at once, while the
// client has sent none of the 60 MB it announced. With `Expect: 100-continue`, only a request
// with a valid credential is told to go on.
TEST_F(HttpEdgeTest, BodiesOfUnauthenticatedRequestsAreNeverRead) {
  const auto start = std::chrono::steady_clock::now();
  const std::string reply =
      Exchange(server_.port(),
               "POST /v1/ingest/ports HTTP/1.1\r\nHost: x\r\nContent-Length: 60000000\r\n\r\n[[[[");
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(reply.rfind("HTTP/1.1 401", 0), 0u) << reply;
  EXPECT_LT(secs, 5.0) << "the server waited for the body before refusing";
  const std::string expect = Exchange(server_.port(),
                                      "POST /v1/ingest/ports HTTP/1.1\r\nHost: x\r\n"
                                      "X-Auth-Token: not-a-token\r\nContent-Length: 60000000\r\n"
                                      "Expect: 100-continue\r\n\r\n");
  EXPECT_EQ(expect.rfind("HTTP/1.1 401", 0), 0u) << expect;
  EXPECT_EQ(expect.find("100 Continue"), std::string::npos) << expect;

  const std::string token = CreateToken(dir_.path(), "projA");
  ASSERT_FALSE(token.empty());
  const std::string body = "{\"snapshots\":[]}";
  const std::string go =
      Exchange(server_.port(),
               "POST /v1/ingest/ports HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               "X-Auth-Token: " +
                   token + "\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\nExpect: 100-continue\r\n\r\n" + body);
  EXPECT_EQ(go.rfind("HTTP/1.1 100 Continue", 0), 0u) << go;
  EXPECT_NE(go.find("HTTP/1.1 400"), std::string::npos) << go;  // an empty batch, but read
}

// "//v1/ingest/ports/" is the ingest path and "/v1//events/" the events path: every decision
// taken before the handler (its body limit here; the thread it runs on in the unit tests) sees
// the canonical path, as the router does.
TEST_F(HttpEdgeTest, PathAliasesAreTheCanonicalPath) {
  const std::string token = CreateToken(dir_.path(), "projA");
  ASSERT_FALSE(token.empty());
  const std::string body(100000, 'x');  // over a query's 64 KiB, under an ingest's 64 MiB
  auto post = [&](const std::string& method, const std::string& path) {
    return Exchange(server_.port(), method + " " + path +
                                        " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                        "X-Auth-Token: " +
                                        token + "\r\nContent-Length: " +
                                        std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  for (const char* path :
       {"/v1/ingest/ports", "//v1/ingest/ports", "/v1/ingest/ports/", "/v1//ingest//ports//"}) {
    const std::string reply = post("POST", path);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << path << reply;
    EXPECT_NE(reply.find("body is not JSON"), std::string::npos) << path << reply;
  }
  for (const char* path : {"/v1/events", "//v1/events", "/v1/events/", "/v1//events"}) {
    const std::string reply = post("GET", path);
    EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << path << reply;
  }
  // The RPC endpoint on "//" answers in its own shape: a RequestId like every other answer's.
  HttpReply rpc = Http(server_.port(), "GET", "//", {});
  EXPECT_NE(rpc.body.find("\"RequestId\""), std::string::npos) << rpc.body;
  EXPECT_EQ(rpc.request_id.size(), 36u) << rpc.request_id;
}

}  // namespace
}  // namespace portatlas::e2e
