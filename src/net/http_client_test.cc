#include "net/http_client.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "net/test_http_server.h"

namespace portatlas::net {
namespace {

using Action = TestHttpServer::Action;
using Step = TestHttpServer::Step;

std::unique_ptr<HttpClient> MakeClient(uint16_t port, HttpClientOptions options = {}) {
  ServerUrl url;
  url.host = "127.0.0.1";
  url.port = port;
  url.prefix = "/pa";
  auto client = HttpClient::Create(url, "tok", std::move(options));
  EXPECT_TRUE(client.has_value()) << client.error().ToString();
  return std::move(*client);
}

TEST(HttpClientTest, KeepsOneConnectionForManyCalls) {
  TestHttpServer server({{Action::kRespond, 200, "a", true},
                         {Action::kRespond, 201, "b", true},
                         {Action::kRespond, 200, "c", true}});
  auto client = MakeClient(server.port());
  EXPECT_EQ(client->Call("POST", "/v1/x", "1").body, "a");
  EXPECT_EQ(client->Call("GET", "/v1/y", "").status, 201);
  EXPECT_EQ(client->Call("PUT", "/v1/z", "3").body, "c");
  EXPECT_EQ(client->connections_opened(), 1);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].target, "/pa/v1/x");
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[2].body, "3");
  for (const auto& r : reqs) {
    EXPECT_EQ(r.connection, 0);
    EXPECT_EQ(r.token, "tok");
    EXPECT_EQ(r.content_type, "application/json");
  }
}

// The server closes a kept connection between two calls (its idle timeout): the second call
// goes again, once, on a new connection, and the caller never sees the closed one.
TEST(HttpClientTest, SendsAgainOnANewConnectionWhenTheKeptOneWasClosed) {
  TestHttpServer server({{Action::kRespond, 200, "first", true},
                         {Action::kClose, 0, ""},
                         {Action::kRespond, 200, "second"}});
  auto client = MakeClient(server.port());
  EXPECT_EQ(client->Call("POST", "/v1/x", "1").body, "first");
  const HttpReply r = client->Call("POST", "/v1/x", "2");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "second");
  EXPECT_EQ(client->connections_opened(), 2);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[2].connection, 1);
  EXPECT_EQ(reqs[2].body, "2");
}

// A fresh connection that fails is not tried again: only the caller knows whether that is safe.
TEST(HttpClientTest, AFreshConnectionThatFailsIsNotRetried) {
  TestHttpServer server({{Action::kClose, 0, ""}, {Action::kRespond, 200, "late"}});
  auto client = MakeClient(server.port());
  const HttpReply r = client->Call("POST", "/v1/x", "1");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.sent);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpClientTest, WithoutKeepAliveEveryCallHasItsConnection) {
  TestHttpServer server({{Action::kRespond, 200, "a"}, {Action::kRespond, 200, "b"}});
  HttpClientOptions options;
  options.keep_alive = false;
  auto client = MakeClient(server.port(), options);
  EXPECT_EQ(client->Call("GET", "/", "").body, "a");
  EXPECT_EQ(client->Call("GET", "/", "").body, "b");
  EXPECT_EQ(client->connections_opened(), 2);
}

TEST(HttpClientTest, AnswerLargerThanTheLimitIsANetworkError) {
  TestHttpServer server({{Action::kRespond, 200, std::string(4096, 'x')}});
  HttpClientOptions options;
  options.max_response_bytes = 1024;
  const HttpReply r = MakeClient(server.port(), options)->Call("GET", "/", "");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.sent);
}

TEST(HttpClientTest, UnknownMethodIsNotSent) {
  TestHttpServer server({});
  const HttpReply r = MakeClient(server.port())->Call("BREW", "/", "");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.sent);
  EXPECT_TRUE(server.requests().empty());
}

TEST(HttpClientTest, RefusesTokensThatCannotBeAHeader) {
  for (const char* token : {"", "a b", "a\r\nX-Evil: 1", "t\x7f"}) {
    EXPECT_FALSE(HttpClient::Create(ServerUrl{}, token).has_value()) << token;
  }
  EXPECT_FALSE(HttpClient::Create(ServerUrl{}, std::string(4097, 'a')).has_value());
}

TEST(ClassifyReplyTest, Table) {
  struct Case {
    int status;
    bool sent;
    ReplyClass idempotent;
    ReplyClass not_idempotent;
  };
  constexpr auto S = ReplyClass::kSuccess;
  constexpr auto T = ReplyClass::kTransient;
  constexpr auto P = ReplyClass::kPermanent;
  const std::vector<Case> cases = {
      {200, true, S, S}, {204, true, S, S}, {100, true, P, P}, {301, true, P, P},
      {400, true, P, P}, {401, true, P, P}, {404, true, P, P}, {409, true, P, P},
      {413, true, P, P}, {408, true, T, T}, {429, true, T, T}, {503, true, T, T},
      {500, true, T, P}, {502, true, T, P}, {0, false, T, T},  {0, true, T, P},
  };
  for (const Case& c : cases) {
    const HttpReply r{c.status, c.sent, ""};
    EXPECT_EQ(ClassifyReply(r, true), c.idempotent) << c.status << " sent=" << c.sent;
    EXPECT_EQ(ClassifyReply(r, false), c.not_idempotent) << c.status << " sent=" << c.sent;
  }
}

}  // namespace
}  // namespace portatlas::net
