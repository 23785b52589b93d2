#include "flow/shipper.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "core/traffic_json.h"

namespace portatlas::flow {
namespace {

// A server that applies each (collector, batch) once, as the real one does; it can be down,
// or apply a batch and lose the answer.
struct FakeServer {
  std::mutex mu;
  std::map<std::pair<std::string, uint64_t>, uint64_t> applied;  // name -> bytes_in total
  bool down = false;
  int lose_answers = 0;
  int refuse_next = 0;
  int calls = 0;

  net::HttpReply Post(std::string_view body) {
    std::lock_guard<std::mutex> lock(mu);
    ++calls;
    if (down) return {0, false, "connection refused"};
    if (refuse_next > 0) {
      --refuse_next;
      return {400, true, R"({"error":"records[0].port"})"};
    }
    auto b = ParseTrafficBatch(body);
    if (!b) return {400, true, b.error().message()};
    uint64_t bytes = 0;
    for (const TrafficRecord& r : b->records) bytes += r.bytes_in;
    const bool fresh = applied.emplace(std::make_pair(b->collector, b->batch), bytes).second;
    if (lose_answers > 0) {
      --lose_answers;
      return {0, true, "connection reset"};
    }
    return {
        200, true,
        fresh ? R"({"applied":true,"duplicate":false})" : R"({"applied":false,"duplicate":true})"};
  }
  uint64_t Total() {
    std::lock_guard<std::mutex> lock(mu);
    uint64_t t = 0;
    for (const auto& [k, v] : applied) t += v;
    return t;
  }
};

std::vector<TrafficRecord> Records(size_t n, uint64_t bytes_each) {
  std::vector<TrafficRecord> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i].ip = *ParseIpAddr("198.18.0.2");
    out[i].port = static_cast<uint16_t>(i);
    out[i].bucket_ms = 1'765'000'800'000;
    out[i].bytes_in = bytes_each;
  }
  return out;
}

class ShipperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/portatlas-shipper-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<TrafficShipper> Open() {
    ShipperOptions o;
    o.state_dir = dir_ + "/state";
    o.backoff_initial_ms = 2;
    o.backoff_cap_ms = 10;
    o.records_per_batch = 3;
    auto s = TrafficShipper::Open(o, [this](std::string_view b) { return server_.Post(b); });
    EXPECT_TRUE(s) << s.error().ToString();
    return s ? std::move(*s) : nullptr;
  }

  std::string dir_;
  FakeServer server_;
};

TEST_F(ShipperTest, SplitsSpoolsAndDeliversEveryBatch) {
  auto s = Open();
  ASSERT_TRUE(s->Enqueue(Records(7, 10)).ok());  // 3 + 3 + 1
  ASSERT_TRUE(s->WaitIdle(10'000));
  EXPECT_EQ(server_.Total(), 70u);
  const ShipperStats st = s->stats();
  EXPECT_EQ(st.batches_spooled, 3u);
  EXPECT_EQ(st.batches_acked, 3u);
  EXPECT_EQ(st.spool_files, 0u);
  EXPECT_EQ(s->collector_id().size(), 32u);
}

TEST_F(ShipperTest, AnOutageKeepsTheSpoolAndARestartSendsIt) {
  server_.down = true;
  std::string id;
  {
    auto s = Open();
    id = s->collector_id();
    ASSERT_TRUE(s->Enqueue(Records(6, 1)).ok());
    EXPECT_FALSE(s->WaitIdle(50));
    EXPECT_EQ(s->stats().spool_files, 2u);
  }  // the collector stops (or dies) with its spool on disk
  server_.down = false;
  auto s = Open();
  EXPECT_EQ(s->collector_id(), id);
  ASSERT_TRUE(s->WaitIdle(10'000));
  EXPECT_EQ(server_.Total(), 6u);
  ASSERT_TRUE(s->Enqueue(Records(1, 100)).ok());  // a number never used before
  ASSERT_TRUE(s->WaitIdle(10'000));
  EXPECT_EQ(server_.Total(), 106u);
  EXPECT_EQ(server_.applied.size(), 3u);
}

TEST_F(ShipperTest, ALostAnswerIsSentAgainAndCountedOnce) {
  server_.lose_answers = 2;
  auto s = Open();
  ASSERT_TRUE(s->Enqueue(Records(3, 5)).ok());
  ASSERT_TRUE(s->WaitIdle(10'000));
  EXPECT_EQ(server_.Total(), 15u);
  EXPECT_EQ(server_.calls, 3);
  EXPECT_EQ(s->stats().duplicates, 1u);
  EXPECT_EQ(s->stats().send_failures, 2u);
}

TEST_F(ShipperTest, ARefusedBatchIsSetAsideAndTheRestGoOn) {
  server_.refuse_next = 1;
  auto s = Open();
  ASSERT_TRUE(s->Enqueue(Records(6, 1)).ok());
  ASSERT_TRUE(s->WaitIdle(10'000));
  EXPECT_EQ(s->stats().refused, 1u);
  EXPECT_EQ(server_.Total(), 3u);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/state/spool/refused/00000000000000000001.json"));
}

TEST_F(ShipperTest, BatchNumbersSurviveARestartWithAnEmptySpool) {
  {
    auto s = Open();
    ASSERT_TRUE(s->Enqueue(Records(3, 1)).ok());
    ASSERT_TRUE(s->WaitIdle(10'000));
  }
  auto s = Open();
  ASSERT_TRUE(s->Enqueue(Records(3, 1)).ok());
  ASSERT_TRUE(s->WaitIdle(10'000));
  EXPECT_EQ(server_.applied.size(), 2u);  // batch 2, not batch 1 again (a duplicate)
  EXPECT_EQ(server_.Total(), 6u);
}

TEST_F(ShipperTest, ADamagedStateDirectoryIsAnError) {
  std::filesystem::create_directories(dir_ + "/state");
  FILE* f = fopen((dir_ + "/state/next-batch").c_str(), "w");
  fputs("not a number\n", f);
  fclose(f);
  ShipperOptions o;
  o.state_dir = dir_ + "/state";
  EXPECT_FALSE(TrafficShipper::Open(o, [](std::string_view) { return net::HttpReply{}; }));
}

}  // namespace
}  // namespace portatlas::flow
