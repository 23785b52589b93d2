#include "agent/http_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "agent/fake_clock.h"
#include "agent/reporter.h"
#include "net/test_http_server.h"

namespace portatlas::agent {
namespace {

using net::TestHttpServer;
using Action = TestHttpServer::Action;
using Step = TestHttpServer::Step;

constexpr char kToken[] = "tok-123";
constexpr char kBody[] = R"({"host_id":"h1","ports":[]})";
constexpr char kCommitted[] =
    R"({"results":[{"host_id":"h1","applied":true,"stale":false,"ports":0,"opened":0,)"
    R"("closed":0,"changed":0}]})";

HttpIngestClient MakeClient(uint16_t port, std::string prefix = "",
                            HttpClientOptions options = {}) {
  net::ServerUrl url;
  url.host = "127.0.0.1";
  url.port = port;
  url.prefix = std::move(prefix);
  auto client = HttpIngestClient::Create(url, kToken, options);
  EXPECT_TRUE(client.has_value()) << client.error().ToString();
  return std::move(*client);
}

TEST(HttpIngestClientTest, PostsBodyWithTokenToIngestPath) {
  TestHttpServer server({{Action::kRespond, 200, kCommitted}});
  HttpIngestClient client = MakeClient(server.port(), "/pa");
  const SendResult r = client.Send(kBody);
  EXPECT_EQ(r.outcome, SendOutcome::kCommitted);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.detail, "applied=true stale=false ports=0 opened=0 closed=0 changed=0");
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/pa/v1/ingest/ports");
  EXPECT_EQ(reqs[0].host, "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(reqs[0].token, kToken);
  EXPECT_EQ(reqs[0].content_type, "application/json");
  EXPECT_EQ(reqs[0].body, kBody);
}

TEST(HttpIngestClientTest, ServiceUnavailableIsTransient) {
  TestHttpServer server(
      {{Action::kRespond, 503, R"({"error_code":"PA.0503","error_msg":"store busy"})"}});
  const SendResult r = MakeClient(server.port()).Send(kBody);
  EXPECT_EQ(r.outcome, SendOutcome::kTransient);
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(r.detail, "PA.0503: store busy");
}

TEST(HttpIngestClientTest, UnauthorizedIsPermanent) {
  TestHttpServer server(
      {{Action::kRespond, 401, R"({"error_code":"APIGW.0301","error_msg":"bad token"})"}});
  const SendResult r = MakeClient(server.port()).Send(kBody);
  EXPECT_EQ(r.outcome, SendOutcome::kPermanent);
  EXPECT_EQ(r.http_status, 401);
  EXPECT_EQ(r.detail, "APIGW.0301: bad token");
}

TEST(HttpIngestClientTest, ConnectionClosedWithoutAnswerIsTransient) {
  TestHttpServer server({{Action::kClose, 0, ""}});
  const SendResult r = MakeClient(server.port()).Send(kBody);
  EXPECT_EQ(r.outcome, SendOutcome::kTransient);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_NE(r.detail.find("no answer"), std::string::npos) << r.detail;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpIngestClientTest, ConnectionRefusedIsTransient) {
  uint16_t port = 0;
  {
    // A port that was free a moment ago and has no listener now.
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(
        ioc, {boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(0)});
    port = a.local_endpoint().port();
  }
  const SendResult r = MakeClient(port).Send(kBody);
  EXPECT_EQ(r.outcome, SendOutcome::kTransient);
  EXPECT_NE(r.detail.find("cannot connect"), std::string::npos) << r.detail;
}

TEST(HttpIngestClientTest, SilentServerTimesOutAsTransient) {
  TestHttpServer server({{Action::kHangUntilEof, 0, ""}});
  HttpClientOptions options;
  options.request_timeout_ms = 200;
  const SendResult r = MakeClient(server.port(), "", options).Send(kBody);
  EXPECT_EQ(r.outcome, SendOutcome::kTransient);
  EXPECT_NE(r.detail.find("timeout"), std::string::npos) << r.detail;
}

TEST(HttpIngestClientTest, RefusesTokensThatCannotBeAHeader) {
  for (const char* token : {"", "a b", "a\r\nX-Evil: 1", "t\x7f"}) {
    EXPECT_FALSE(HttpIngestClient::Create(net::ServerUrl{}, token).has_value()) << token;
  }
  EXPECT_FALSE(HttpIngestClient::Create(net::ServerUrl{}, std::string(4097, 'a')).has_value());
}

TEST(ClassifyHttpStatusTest, Table) {
  const std::vector<std::pair<int, SendOutcome>> cases = {
      {200, SendOutcome::kCommitted}, {204, SendOutcome::kCommitted},
      {301, SendOutcome::kPermanent}, {400, SendOutcome::kPermanent},
      {401, SendOutcome::kPermanent}, {403, SendOutcome::kPermanent},
      {404, SendOutcome::kPermanent}, {408, SendOutcome::kTransient},
      {413, SendOutcome::kPermanent}, {429, SendOutcome::kTransient},
      {500, SendOutcome::kTransient}, {502, SendOutcome::kTransient},
      {503, SendOutcome::kTransient}, {100, SendOutcome::kPermanent},
  };
  for (const auto& [status, want] : cases) EXPECT_EQ(ClassifyHttpStatus(status), want) << status;
}

// The Reporter over the real client: the server fails twice, then takes the report.
TEST(HttpIngestClientTest, ReporterRetriesUntilTheServerTakesTheReport) {
  TestHttpServer server({{Action::kRespond, 503, R"({"error_code":"PA.0503"})"},
                         {Action::kClose, 0, ""},
                         {Action::kRespond, 200, kCommitted}});
  HttpIngestClient client = MakeClient(server.port());
  FakeClock clock;
  std::vector<std::string> log;
  Reporter reporter(
      [] {
        return Result<Report>(Report{kBody, "h1", 0, 7});
      },
      client, clock, net::Backoff(1000, 60000, [] { return 0.0; }),
      [&](std::string_view line) { log.emplace_back(line); });
  ASSERT_TRUE(reporter.RunOnce(30000).ok());
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (const auto& r : reqs) EXPECT_EQ(r.body, kBody);
  EXPECT_EQ(clock.sleeps_ms(), (std::vector<int64_t>{500, 1000}));
  ASSERT_EQ(log.size(), 3u);
  EXPECT_NE(log[0].find("HTTP 503"), std::string::npos) << log[0];
  EXPECT_NE(log[2].find("committed"), std::string::npos) << log[2];
}

TEST(HttpIngestClientTest, ReporterDoesNotResendARefusedReport) {
  TestHttpServer server({{Action::kRespond, 401, R"({"error_code":"APIGW.0301"})"}});
  HttpIngestClient client = MakeClient(server.port());
  FakeClock clock;
  Reporter reporter(
      [] {
        return Result<Report>(Report{kBody, "h1", 0, 7});
      },
      client, clock, net::Backoff(1000, 60000, [] { return 0.0; }), [](std::string_view) {});
  const Status s = reporter.RunOnce(30000);
  EXPECT_EQ(s.kind(), ErrorKind::kUnauthenticated) << s.ToString();
  EXPECT_NE(s.message().find("APIGW.0301"), std::string::npos) << s.message();
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(clock.sleeps_ms().empty());
}

}  // namespace
}  // namespace portatlas::agent
