// TaskUploader against a fake transport that behaves like the server's scan-task API, with
// failures scripted per request.
#include "scan/upload/task_uploader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <thread>

namespace portatlas::scan {
namespace {

struct SeenCall {
  std::string method;
  std::string path;
  std::string body;
};

// What the fake server saw and stored, shared with the test (the uploader owns the transport).
struct FakeServer {
  std::mutex mu;
  std::vector<SeenCall> calls;
  std::vector<size_t> batch_sizes;          // records per accepted records request
  std::vector<rapidjson::Document> stored;  // accepted records, in order
  std::vector<std::string> progress;        // accepted progress bodies
  // Returns an answer to use instead of the normal one (a scripted failure), or nullopt.
  std::function<std::optional<HttpReply>(const SeenCall&, size_t nth)> hook;

  size_t Count(std::string_view path_suffix) {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (const SeenCall& c : calls) n += c.path.ends_with(path_suffix) ? 1 : 0;
    return n;
  }
};

class FakeTransport final : public TaskTransport {
 public:
  explicit FakeTransport(std::shared_ptr<FakeServer> server) : server_(std::move(server)) {}

  HttpReply Call(std::string_view method, std::string_view path, std::string_view body) override {
    std::lock_guard<std::mutex> lock(server_->mu);
    SeenCall c{std::string(method), std::string(path), std::string(body)};
    server_->calls.push_back(c);
    if (server_->hook) {
      if (auto r = server_->hook(c, server_->calls.size() - 1)) return *r;
    }
    if (c.path == "/v1/scan-tasks") return {201, true, R"({"task_id":7,"status":"running"})"};
    if (c.path == "/v1/scan-tasks/7/records") {
      rapidjson::Document doc;
      doc.Parse(c.body.c_str());
      if (doc.HasParseError() || !doc["records"].IsArray()) return {400, true, "{}"};
      auto& list = doc["records"];
      server_->batch_sizes.push_back(list.Size());
      for (auto& r : list.GetArray()) {
        rapidjson::Document copy;
        copy.CopyFrom(r, copy.GetAllocator());
        server_->stored.push_back(std::move(copy));
      }
      return {200, true, fmt::format(R"({{"stored":{}}})", list.Size())};
    }
    if (c.path == "/v1/scan-tasks/7/progress") {
      server_->progress.push_back(c.body);
      return {200, true, R"({"task_id":7})"};
    }
    return {404, true, R"({"error_code":"APIGW.0101","error_msg":"no such API"})"};
  }
  std::string Describe() const override { return "http://fake"; }

 private:
  std::shared_ptr<FakeServer> server_;
};

UploaderOptions FastOptions() {
  UploaderOptions o;
  o.flush_records = 1000;
  o.max_batch = 1000;
  o.flush_interval_ms = 20;
  o.progress_interval_ms = 20;
  o.retry_budget_ms = 5000;
  o.backoff_initial_ms = 2;
  o.backoff_cap_ms = 8;
  return o;
}

TaskSpec Spec() { return {"t", TaskKind::kConnect, "198.18.0.0/24", "22", 256}; }

ScanRecord Rec(uint32_t n, const std::string& state = "open") {
  ScanRecord r;
  r.ip = *ParseIpAddr(fmt::format("198.18.{}.{}", (n / 256) % 256, n % 256));
  r.port = static_cast<uint16_t>(1 + n / 65536);
  r.state = state;
  r.reason = "syn-ack";
  return r;
}

class TaskUploaderTest : public testing::Test {
 protected:
  Result<std::unique_ptr<TaskUploader>> Start(UploaderOptions o = FastOptions()) {
    return TaskUploader::Start(std::make_unique<FakeTransport>(server_), Spec(), o);
  }

  // Polls `done` with a deadline (no fixed sleeps).
  static bool Eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::yield();
    }
    return done();
  }

  std::shared_ptr<FakeServer> server_ = std::make_shared<FakeServer>();
};

TEST_F(TaskUploaderTest, StartCreatesTheTask) {
  auto up = Start();
  ASSERT_TRUE(up) << up.error().ToString();
  EXPECT_EQ((*up)->task_id(), 7);
  ASSERT_EQ(server_->calls.size(), 1u);
  EXPECT_EQ(server_->calls[0].method, "POST");
  EXPECT_EQ(server_->calls[0].body,
            R"({"name":"t","kind":"connect","targets":"198.18.0.0/24","ports":"22",)"
            R"("probes_total":256})");
  EXPECT_TRUE((*up)->Finish(true).ok());
}

TEST_F(TaskUploaderTest, RefusedTokenFailsStartClearly) {
  server_->hook = [](const SeenCall&, size_t) -> std::optional<HttpReply> {
    return HttpReply{401, true, R"({"error_code":"APIGW.0301","error_msg":"bad token"})"};
  };
  auto up = Start();
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().kind(), ErrorKind::kUnauthenticated);
  EXPECT_NE(up.error().message().find("401 APIGW.0301: bad token"), std::string::npos)
      << up.error().message();
  EXPECT_EQ(server_->calls.size(), 1u);
}

TEST_F(TaskUploaderTest, StartRetriesOnlyWhatCannotHaveCreatedATask) {
  server_->hook = [](const SeenCall&, size_t nth) -> std::optional<HttpReply> {
    if (nth == 0) return HttpReply{0, false, "cannot connect: connection refused"};
    if (nth == 1) return HttpReply{503, true, R"({"error_code":"PA.0503"})"};
    return std::nullopt;
  };
  auto up = Start();
  ASSERT_TRUE(up) << up.error().ToString();
  EXPECT_EQ(server_->calls.size(), 3u);
  EXPECT_TRUE((*up)->Finish(true).ok());

  auto other = std::make_shared<FakeServer>();
  other->hook = [](const SeenCall&, size_t) -> std::optional<HttpReply> {
    return HttpReply{0, true, "no answer: timeout"};  // it may have been created
  };
  auto lost = TaskUploader::Start(std::make_unique<FakeTransport>(other), Spec(), FastOptions());
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().kind(), ErrorKind::kUnavailable);
  EXPECT_EQ(other->calls.size(), 1u);
}

TEST_F(TaskUploaderTest, DeliversEveryRecordInBatchesAndFinishesDone) {
  auto up = Start();
  ASSERT_TRUE(up);
  for (uint32_t i = 0; i < 2500; ++i) (*up)->Add(Rec(i, i % 3 == 0 ? "closed" : "open"));
  (*up)->Progress(2500, 2500);
  ASSERT_TRUE((*up)->Finish(true).ok());
  EXPECT_EQ(server_->stored.size(), 2500u);
  for (size_t n : server_->batch_sizes) EXPECT_LE(n, 1000u);
  std::set<std::string> keys;
  for (const auto& r : server_->stored) {
    keys.insert(fmt::format("{}/{}", r["ip"].GetString(), r["port"].GetInt()));
  }
  EXPECT_EQ(keys.size(), 2500u);
  EXPECT_STREQ(server_->stored[3]["state"].GetString(), "closed");
  ASSERT_FALSE(server_->progress.empty());
  EXPECT_EQ(server_->progress.back(),
            R"({"probes_done":2500,"probes_total":2500,"status":"done"})");
  EXPECT_EQ((*up)->stats().stored, 2500u);
  EXPECT_TRUE((*up)->Finish(true).ok());  // a second call answers the same
}

TEST_F(TaskUploaderTest, FlushesAfterTheIntervalWithoutFinish) {
  auto up = Start();
  ASSERT_TRUE(up);
  // Let the sender go to sleep with nothing to do: the first record must wake it.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*up)->Add(Rec(1));
  (*up)->Add(Rec(2));
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(server_->mu);
    return server_->stored.size() == 2;
  }));
}

TEST_F(TaskUploaderTest, ProgressIsThrottled) {
  UploaderOptions o = FastOptions();
  o.progress_interval_ms = 60000;
  auto up = Start(o);
  ASSERT_TRUE(up);
  (*up)->Progress(1, 100);
  EXPECT_TRUE(Eventually([&] { return server_->Count("/progress") == 1; }));
  for (uint64_t i = 2; i <= 100; ++i) (*up)->Progress(i, 100);
  ASSERT_TRUE((*up)->Finish(true).ok());
  ASSERT_EQ(server_->progress.size(), 2u);  // the first at once, then only the final one
  EXPECT_EQ(server_->progress[0], R"({"probes_done":1,"probes_total":100})");
  EXPECT_EQ(server_->progress[1], R"({"probes_done":100,"probes_total":100,"status":"done"})");
}

TEST_F(TaskUploaderTest, RetriesTransientFailures) {
  server_->hook = [](const SeenCall& c, size_t nth) -> std::optional<HttpReply> {
    if (!c.path.ends_with("/records") || nth > 4) return std::nullopt;
    if (nth == 1) return HttpReply{0, false, "connection refused"};
    if (nth == 2) return HttpReply{503, true, "{}"};
    if (nth == 3) return HttpReply{0, true, "no answer"};  // records are idempotent
    return HttpReply{429, true, "{}"};
  };
  UploaderOptions o = FastOptions();
  o.flush_interval_ms = 600000;  // one batch, sent by Finish
  auto up = Start(o);
  ASSERT_TRUE(up);
  for (uint32_t i = 0; i < 10; ++i) (*up)->Add(Rec(i));
  ASSERT_TRUE((*up)->Finish(true).ok());
  EXPECT_EQ(server_->stored.size(), 10u);
  EXPECT_EQ(server_->Count("/records"), 5u);
}

TEST_F(TaskUploaderTest, GivesUpAfterTheRetryBudget) {
  server_->hook = [](const SeenCall& c, size_t) -> std::optional<HttpReply> {
    if (c.path == "/v1/scan-tasks") return std::nullopt;
    return HttpReply{0, false, "cannot connect: connection refused"};
  };
  UploaderOptions o = FastOptions();
  o.retry_budget_ms = 50;
  auto up = Start(o);
  ASSERT_TRUE(up);
  (*up)->Add(Rec(1));
  const Status st = (*up)->Finish(true);
  EXPECT_EQ(st.kind(), ErrorKind::kUnavailable);
  EXPECT_NE(st.message().find("connection refused"), std::string::npos) << st.message();
  EXPECT_GT(server_->Count("/records"), 2u);
  EXPECT_EQ(server_->Count("/progress"), 0u);  // the server is unreachable: no final report
}

TEST_F(TaskUploaderTest, PermanentErrorStopsTheUploadAndIsReturned) {
  server_->hook = [](const SeenCall& c, size_t) -> std::optional<HttpReply> {
    if (!c.path.ends_with("/records")) return std::nullopt;
    return HttpReply{409, true, R"({"error_code":"PA.0409","error_msg":"scan task 7 is done"})"};
  };
  auto up = Start();
  ASSERT_TRUE(up);
  (*up)->Add(Rec(1));
  ASSERT_TRUE(Eventually([&] { return server_->Count("/records") == 1; }));
  ASSERT_TRUE(Eventually([&] {
    (*up)->Add(Rec(2));
    return (*up)->stats().dropped > 0;
  }));
  const Status st = (*up)->Finish(true);
  EXPECT_EQ(st.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(st.message().find("409 PA.0409"), std::string::npos) << st.message();
  EXPECT_EQ(server_->Count("/records"), 1u);  // never repeated
  ASSERT_EQ(server_->progress.size(), 1u);    // the task is marked failed, with the reason
  EXPECT_NE(server_->progress[0].find(R"("status":"failed")"), std::string::npos);
  EXPECT_NE(server_->progress[0].find("PA.0409"), std::string::npos);
}

TEST_F(TaskUploaderTest, RefusedRecordIsDroppedAloneAndReported) {
  server_->hook = [](const SeenCall& c, size_t) -> std::optional<HttpReply> {
    if (!c.path.ends_with("/records")) return std::nullopt;
    rapidjson::Document doc;
    doc.Parse(c.body.c_str());
    const auto& list = doc["records"];
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      if (std::string_view(list[i]["state"].GetString()) == "bogus") {
        return HttpReply{
            400, true,
            fmt::format(
                R"({{"error_code":"PA.0001","error_msg":"records[{}].state: must be open, ..."}})",
                i)};
      }
    }
    return std::nullopt;
  };
  auto up = Start();
  ASSERT_TRUE(up);
  for (uint32_t i = 0; i < 20; ++i) (*up)->Add(Rec(i, i == 5 || i == 11 ? "bogus" : "open"));
  const Status st = (*up)->Finish(true);
  EXPECT_EQ(st.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(st.message().find("refused 2 record"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("198.18.0.5 tcp/1"), std::string::npos) << st.message();
  EXPECT_EQ(server_->stored.size(), 18u);
  EXPECT_EQ((*up)->stats().refused, 2u);
  ASSERT_FALSE(server_->progress.empty());
  EXPECT_NE(server_->progress.back().find(R"("status":"done")"), std::string::npos);
}

TEST_F(TaskUploaderTest, ConcurrentAddsAllArrive) {
  auto up = Start();
  ASSERT_TRUE(up);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t i = 0; i < 5000; ++i) (*up)->Add(Rec(t * 5000 + i));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE((*up)->Finish(true).ok());
  std::set<std::string> keys;
  for (const auto& r : server_->stored) {
    keys.insert(fmt::format("{}/{}", r["ip"].GetString(), r["port"].GetInt()));
  }
  EXPECT_EQ(server_->stored.size(), 20000u);
  EXPECT_EQ(keys.size(), 20000u);
}

TEST_F(TaskUploaderTest, SmallBufferStillDeliversEverything) {
  UploaderOptions o = FastOptions();
  o.max_buffered = 8;  // Add() waits for the sender again and again
  o.flush_records = 4;
  o.max_batch = 3;
  auto up = Start(o);
  ASSERT_TRUE(up);
  for (uint32_t i = 0; i < 100; ++i) (*up)->Add(Rec(i));
  ASSERT_TRUE((*up)->Finish(true).ok());
  EXPECT_EQ(server_->stored.size(), 100u);
  for (size_t n : server_->batch_sizes) EXPECT_LE(n, 3u);
}

TEST_F(TaskUploaderTest, FailedScanIsReportedAsFailed) {
  auto up = Start();
  ASSERT_TRUE(up);
  (*up)->Progress(3, 10);
  EXPECT_TRUE((*up)->Finish(false, "interrupted").ok());
  ASSERT_FALSE(server_->progress.empty());
  EXPECT_EQ(server_->progress.back(),
            R"({"probes_done":3,"probes_total":10,"status":"failed","error":"interrupted"})");
}

TEST_F(TaskUploaderTest, DestroyingAnUnfinishedUploaderFailsTheTask) {
  {
    auto up = Start();
    ASSERT_TRUE(up);
    (*up)->Add(Rec(1));
  }
  EXPECT_EQ(server_->stored.size(), 1u);
  ASSERT_FALSE(server_->progress.empty());
  EXPECT_NE(server_->progress.back().find(R"("status":"failed")"), std::string::npos);
}

TEST(HttpTaskTransportTest, RefusesBadUrlsAndTokens) {
  EXPECT_FALSE(HttpTaskTransport::Create("https://127.0.0.1", "t"));
  EXPECT_FALSE(HttpTaskTransport::Create("http://127.0.0.1:0", "t"));
  EXPECT_FALSE(HttpTaskTransport::Create("http://127.0.0.1", ""));
  EXPECT_FALSE(HttpTaskTransport::Create("http://127.0.0.1", "a b"));
  EXPECT_FALSE(HttpTaskTransport::Create("http://127.0.0.1", std::string(4097, 'a')));
  auto ok = HttpTaskTransport::Create("http://127.0.0.1:8080/pa/", "tok");
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ((*ok)->Describe(), "http://127.0.0.1:8080/pa");
}

TEST(HttpTaskTransportTest, RefusedConnectionIsNotSent) {
  // Nothing listens on 127.0.0.1:1 (tcpmux) here.
  auto t = HttpTaskTransport::Create("http://127.0.0.1:1", "tok");
  ASSERT_TRUE(t);
  const HttpReply r = (*t)->Call("POST", "/v1/scan-tasks", "{}");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.sent);
  EXPECT_NE(r.body.find("cannot connect"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace portatlas::scan
