#include "inventory/traffic.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/distinct_count.h"
#include "store/sqlite/temp_sqlite_store.h"

namespace portatlas::inventory {
namespace {

constexpr int64_t kDay0 = 1'764'979'200'000;  // a UTC midnight

class TrafficTest : public ::testing::Test {
 protected:
  void SetUp() override { temp_ = store::OpenTempSqliteStore("traffic_test"); }
  void TearDown() override {
    temp_.store.reset();
    std::filesystem::remove_all(temp_.dir);
  }
  store::Store& store() { return *temp_.store; }

  static TrafficRecord Record(int64_t hour, uint64_t bytes, const char* source) {
    TrafficRecord r;
    r.ip = *ParseIpAddr("198.18.0.2");
    r.port = 443;
    r.bucket_ms = hour;
    r.bytes_in = bytes;
    r.flows = 1;
    DistinctCount c;
    c.Add(*ParseIpAddr(source));
    r.sources = c.Serialize();
    r.protocols = {{"TLS", bytes}};
    return r;
  }

  std::vector<TrafficRecord> List(store::TrafficGranularity g) {
    store::TrafficQuery q;
    q.project = "p";
    q.granularity = g;
    auto rows = store().ListTraffic(q);
    EXPECT_TRUE(rows);
    return rows ? *rows : std::vector<TrafficRecord>{};
  }

  store::TempSqliteStore temp_;
};

TEST_F(TrafficTest, ABatchCountsOnceInItsHourAndItsDay) {
  TrafficBatch b{
      "c1",
      1,
      {Record(kDay0 + kHourMs, 100, "198.19.0.1"), Record(kDay0 + 5 * kHourMs, 50, "198.19.0.2")}};
  auto first = ApplyTrafficBatch(store(), "p", b, kDay0);
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->records, 2u);
  auto again = ApplyTrafficBatch(store(), "p", b, kDay0);  // a resend
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  b.batch = 2;
  b.records = {Record(kDay0 + kHourMs, 10, "198.19.0.1")};
  ASSERT_TRUE(ApplyTrafficBatch(store(), "p", b, kDay0));

  auto hours = List(store::TrafficGranularity::kHour);
  ASSERT_EQ(hours.size(), 2u);
  EXPECT_EQ(hours[0].bytes_in, 110u);
  EXPECT_EQ(hours[0].flows, 2u);
  EXPECT_EQ(DistinctCount::Parse(hours[0].sources)->Estimate(), 1u);
  auto days = List(store::TrafficGranularity::kDay);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].bucket_ms, kDay0);
  EXPECT_EQ(days[0].bytes_in, 160u);
  EXPECT_EQ(days[0].protocols, (NamedCounts{{"TLS", 160}}));
  EXPECT_EQ(DistinctCount::Parse(days[0].sources)->Estimate(), 2u);
}

TEST_F(TrafficTest, RetentionKeepsHoursForThirtyDaysAndDaysForFourHundred) {
  TrafficBatch b{"c1", 1, {Record(kDay0, 1, "198.19.0.1")}};
  ASSERT_TRUE(ApplyTrafficBatch(store(), "p", b, kDay0));
  const TrafficRetention keep;
  ASSERT_TRUE(PruneTraffic(store(), keep, kDay0 + 30 * kDayMs));
  EXPECT_EQ(List(store::TrafficGranularity::kHour).size(), 1u);
  ASSERT_TRUE(PruneTraffic(store(), keep, kDay0 + 31 * kDayMs));
  EXPECT_EQ(List(store::TrafficGranularity::kHour).size(), 0u);
  EXPECT_EQ(List(store::TrafficGranularity::kDay).size(), 1u);
  ASSERT_TRUE(PruneTraffic(store(), keep, kDay0 + 401 * kDayMs));
  EXPECT_EQ(List(store::TrafficGranularity::kDay).size(), 0u);
}

TEST_F(TrafficTest, ScansNameWhatExportersCouldNot) {
  store::ScanTaskRow task;
  task.project = "p";
  task.kind = "syn";
  ASSERT_TRUE(store()
                  .Write([&](store::StoreWriter& w) -> Status {
                    PA_ASSIGN_OR_RETURN(id, w.CreateScanTask(task));
                    std::vector<store::ScanRecordRow> rows(2);
                    rows[0].ip = *ParseIpAddr("198.18.0.2");
                    rows[0].port = 443;
                    rows[0].state = "open";
                    rows[0].service = "https";
                    rows[1].ip = *ParseIpAddr("198.18.0.2");
                    rows[1].port = 8080;
                    rows[1].state = "closed";
                    rows[1].service = "http-proxy";
                    return w.PutScanRecords(id, rows, 1);
                  })
                  .ok());
  auto exported = [](const char* ip, uint16_t port) {
    TrafficRecord r = Record(kDay0, 100, "198.19.0.1");
    r.ip = *ParseIpAddr(ip);
    r.port = port;
    r.protocols = {{"Unknown", 100}};
    r.unknown = {{"no_payload", 3}, {"tcp_not_establish", 1}};
    return r;
  };
  std::vector<TrafficRecord> records = {exported("198.18.0.2", 443), exported("198.18.0.21", 443),
                                        exported("198.18.0.2", 8080),
                                        Record(kDay0, 5, "198.19.0.1")};
  ASSERT_TRUE(NameByScans(store(), "p", &records).ok());
  EXPECT_EQ(records[0].protocols, (NamedCounts{{"https", 100}}));
  EXPECT_EQ(records[0].unknown, (NamedCounts{{"tcp_not_establish", 1}}));
  EXPECT_EQ(records[1].protocols, (NamedCounts{{"Unknown", 100}}));  // another address
  EXPECT_EQ(records[2].protocols, (NamedCounts{{"Unknown", 100}}));  // not open
  EXPECT_EQ(records[3].protocols, (NamedCounts{{"TLS", 5}}));        // named by nDPI already
  std::vector<TrafficRecord> other = {exported("198.18.0.2", 443)};
  ASSERT_TRUE(NameByScans(store(), "q", &other).ok());  // another project's scan does not count
  EXPECT_EQ(other[0].protocols, (NamedCounts{{"Unknown", 100}}));
}

TEST_F(TrafficTest, TheRetentionLoopPrunesWhenItStarts) {
  const int64_t long_ago = kDay0 - 500 * kDayMs;  // older than any retention
  TrafficBatch b{"c1", 1, {Record(long_ago, 1, "198.19.0.1")}};
  ASSERT_TRUE(ApplyTrafficBatch(store(), "p", b, kDay0));
  ASSERT_EQ(List(store::TrafficGranularity::kDay).size(), 1u);
  {
    TrafficRetentionLoop loop(store(), TrafficRetention{}, 3'600'000);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!List(store::TrafficGranularity::kDay).empty() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }  // and stops without waiting for its hour
  EXPECT_TRUE(List(store::TrafficGranularity::kDay).empty());
  EXPECT_TRUE(List(store::TrafficGranularity::kHour).empty());
}

}  // namespace
}  // namespace portatlas::inventory
