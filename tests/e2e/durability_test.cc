// An acknowledged report survives kill -9 of the server: the server answers only after commit.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "server_process.h"

namespace portatlas::e2e {
namespace {

constexpr int kPortsPerHost = 5;
constexpr int kSenders = 4;
constexpr int kAcksBeforeKill = 300;

std::string Snapshot(const std::string& host) {
  std::string ports;
  for (int p = 0; p < kPortsPerHost; ++p) {
    if (p > 0) ports += ",";
    ports += fmt::format(R"({{"laddr":"0.0.0.0","port":{},"type":"TCP","pid":{},"netns":1}})",
                         8000 + p, 100 + p);
  }
  return fmt::format(
      R"({{"host_id":"{}","agent_id":"a-{}","collected_at":1,"seq":1,"ports":[{}]}})", host, host,
      ports);
}

int PortsOf(int port, const std::string& token, const std::string& host) {
  HttpReply r = Http(port, "GET", "/v5/dur/asset/ports?host_id=" + host, {{"X-Auth-Token", token}});
  if (r.status != 200) return -1;
  const size_t at = r.body.find("\"total_num\":");
  return at == std::string::npos ? -1 : std::atoi(r.body.c_str() + at + 12);
}

TEST(DurabilityTest, AcknowledgedReportsSurviveSigkillMidStream) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string token = CreateToken(dir.path(), "dur");
  ASSERT_FALSE(token.empty());
  ServerProcess server;
  ASSERT_TRUE(server.Start(dir.path()));
  const int port = server.port();

  std::mutex mu;
  std::vector<std::string> acked;
  std::vector<std::string> attempted;
  std::atomic<int> acks{0};
  std::atomic<bool> rejected{false};
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&, t] {
      for (int n = 0;; ++n) {
        const std::string host = fmt::format("t{}-{}", t, n);
        {
          std::lock_guard<std::mutex> lock(mu);
          attempted.push_back(host);
        }
        HttpReply r =
            Http(port, "POST", "/v1/ingest/ports", {{"X-Auth-Token", token}}, Snapshot(host));
        if (r.status == 0) return;  // the server is gone
        if (r.status != 200) {
          rejected = true;
          return;
        }
        std::lock_guard<std::mutex> lock(mu);
        acked.push_back(host);
        ++acks;
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (acks < kAcksBeforeKill && !rejected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  const int status = server.Signal(SIGKILL);  // while the senders are still sending
  for (auto& s : senders) s.join();
  ASSERT_FALSE(rejected) << "a report was refused";
  ASSERT_GE(static_cast<int>(acked.size()), kAcksBeforeKill);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_GT(attempted.size(), acked.size()) << "no report was in flight at the kill";

  ServerProcess again;
  ASSERT_TRUE(again.Start(dir.path()));
  for (const std::string& host : acked) {
    ASSERT_EQ(PortsOf(again.port(), token, host), kPortsPerHost) << "acknowledged " << host;
  }
  // Reports in flight at the kill are either wholly there or wholly absent.
  for (const std::string& host : attempted) {
    const int n = PortsOf(again.port(), token, host);
    EXPECT_TRUE(n == 0 || n == kPortsPerHost) << host << " has " << n << " ports";
  }
  again.Signal(SIGTERM);

  sqlite3* db = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2((dir.path() + "/portatlas.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  std::string verdict;
  sqlite3_exec(
      db, "PRAGMA integrity_check",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) += values[0] != nullptr ? values[0] : "";
        return 0;
      },
      &verdict, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(verdict, "ok");
}

}  // namespace
}  // namespace portatlas::e2e
