#include "inventory/ingestor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "store/sqlite/temp_sqlite_store.h"

namespace portatlas::inventory {
namespace {

class IngestorTest : public testing::Test {
 protected:
  void SetUp() override {
    auto t = store::OpenTempSqliteStore("ingest");
    dir_ = t.dir;
    store_ = std::move(t.store);
    auto kb = RiskKb::BuiltIn();
    ASSERT_TRUE(kb);
    kb_ = std::move(*kb);
    ingestor_ = std::make_unique<Ingestor>(*store_, kb_, services_);
  }
  void TearDown() override {
    ingestor_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static HostSnapshot Snap(const std::string& host, int64_t seq, std::vector<uint16_t> ports) {
    HostSnapshot s;
    s.project = "p";
    s.host_id = host;
    s.agent_id = "agent-" + host;
    s.collected_at_ms = seq * 1000;
    s.seq = seq;
    for (uint16_t port : ports) {
      SnapshotPort p;
      p.key = {7, "0.0.0.0", port, SockType::kTcp};
      p.pid = port;
      s.ports.push_back(p);
    }
    return s;
  }

  int64_t StatNum(uint16_t port) {
    store::PortStatQuery q;
    q.project = "p";
    q.eps = {"0"};
    q.port = port;
    auto r = store_->ListPortStatistics(q);
    EXPECT_TRUE(r);
    return r->rows.empty() ? 0 : r->rows[0].num;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  RiskKb kb_;
  ServicesDb services_;
  std::unique_ptr<Ingestor> ingestor_;
};

TEST_F(IngestorTest, SnapshotReplacesPreviousAndRecordsEvents) {
  auto r1 = ingestor_->Ingest({Snap("h1", 1, {22, 80})});
  ASSERT_TRUE(r1) << r1.error().ToString();
  EXPECT_EQ((*r1)[0].opened, 2);
  auto r2 = ingestor_->Ingest({Snap("h1", 2, {22})});
  ASSERT_TRUE(r2);
  EXPECT_EQ((*r2)[0].closed, 1);
  store::PortQuery q;
  q.project = "p";
  q.eps = {"0"};
  q.host_id = "h1";
  auto ports = store_->ListPorts(q);
  ASSERT_EQ(ports->total, 1);
  EXPECT_EQ(ports->rows[0].port.key.port, 22);
  auto events = store_->ListEvents("p", "h1", 0, 10);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[2].kind, store::EventKind::kClose);
  EXPECT_EQ((*events)[2].key.port, 80);
  EXPECT_EQ(StatNum(22), 1);
  EXPECT_EQ(StatNum(80), 0);
}

TEST_F(IngestorTest, StaleRetryDoesNotRollBack) {
  ASSERT_TRUE(ingestor_->Ingest({Snap("h1", 2, {22})}));
  auto r = ingestor_->Ingest({Snap("h1", 1, {22, 80, 443})});
  ASSERT_TRUE(r);
  EXPECT_TRUE((*r)[0].stale);
  EXPECT_EQ(StatNum(443), 0);
}

// Many threads at once: group commit batches them, and the aggregates match a recount.
TEST_F(IngestorTest, ConcurrentReportsKeepAggregatesExact) {
  constexpr int kThreads = 8;
  constexpr int kHostsPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int h = 0; h < kHostsPerThread; ++h) {
        const std::string host = "h" + std::to_string(t) + "-" + std::to_string(h);
        // Open 22, 80, 443; then close 80; then a stale replay of the first.
        EXPECT_TRUE(ingestor_->Ingest({Snap(host, 1, {22, 80, 443})}));
        EXPECT_TRUE(ingestor_->Ingest({Snap(host, 2, {22, 443})}));
        EXPECT_TRUE(ingestor_->Ingest({Snap(host, 1, {22, 80, 443})}));
      }
    });
  }
  for (auto& th : threads) th.join();
  const int64_t hosts = kThreads * kHostsPerThread;
  EXPECT_EQ(StatNum(22), hosts);
  EXPECT_EQ(StatNum(443), hosts);
  EXPECT_EQ(StatNum(80), 0);
  store::PortCountQuery c;
  c.project = "p";
  c.eps = {"0"};
  EXPECT_EQ(*store_->CountPorts(c), 2 * hosts);
}

TEST_F(IngestorTest, BatchOfSnapshotsInOneRequest) {
  auto r = ingestor_->Ingest({Snap("a", 1, {22}), Snap("b", 1, {22}), Snap("a", 2, {})});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[2].closed, 1);  // applied after the first, in order
  EXPECT_EQ(StatNum(22), 1);
}

}  // namespace
}  // namespace portatlas::inventory
