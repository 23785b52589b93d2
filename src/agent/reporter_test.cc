#include "agent/reporter.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "agent/fake_clock.h"

namespace portatlas::agent {
namespace {

// Answers each Send through `decide(body, now_ms)` and records what was sent when.
class FakeTransport final : public IngestTransport {
 public:
  using Decide = std::function<SendResult(const std::string& body, int64_t now_ms)>;
  FakeTransport(FakeClock& clock, Decide decide) : clock_(clock), decide_(std::move(decide)) {}

  SendResult Send(std::string_view body) override {
    sent.push_back({std::string(body), clock_.SteadyMs()});
    return decide_(std::string(body), clock_.SteadyMs());
  }

  struct Sent {
    std::string body;
    int64_t at_ms;
  };
  std::vector<Sent> sent;

 private:
  FakeClock& clock_;
  Decide decide_;
};

SendResult Committed() { return {SendOutcome::kCommitted, 200, "applied=true"}; }
SendResult Unavailable503() { return {SendOutcome::kTransient, 503, "PA.0503"}; }
SendResult Refused() { return {SendOutcome::kPermanent, 400, "PA.0001: ports: too many"}; }

// Reports whose body is "seq=N", N counting from 1.
class Harness {
 public:
  explicit Harness(FakeTransport::Decide decide, int64_t cap_ms = 60000)
      : transport(clock, std::move(decide)),
        reporter(
            [this]() -> Result<Report> {
              if (fail_collections > 0) {
                --fail_collections;
                return IoError("proc unreadable");
              }
              ++seq;
              return Report{"seq=" + std::to_string(seq), "h1", 3, seq};
            },
            transport, clock, net::Backoff(1000, cap_ms, [] { return 0.0; }),
            [this](std::string_view line) { log.emplace_back(line); }) {}

  bool Logged(std::string_view needle) const {
    for (const std::string& l : log) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> SentBodies() const {
    std::vector<std::string> out;
    for (const auto& s : transport.sent) out.push_back(s.body);
    return out;
  }

  FakeClock clock;
  FakeTransport transport;
  uint64_t seq = 0;
  int fail_collections = 0;
  std::vector<std::string> log;
  Reporter reporter;
};

TEST(ReporterTest, RunOnceCommitsOnFirstTry) {
  Harness h([](const std::string&, int64_t) { return Committed(); });
  EXPECT_TRUE(h.reporter.RunOnce(30000).ok());
  EXPECT_EQ(h.SentBodies(), std::vector<std::string>{"seq=1"});
  ASSERT_EQ(h.log.size(), 1u);
  EXPECT_EQ(h.log[0], "report host_id=h1 seq=1 ports=3: committed (HTTP 200: applied=true)");
}

TEST(ReporterTest, RunOnceRetriesTransientFailuresWithBackoff) {
  int calls = 0;
  Harness h(
      [&](const std::string&, int64_t) { return ++calls < 4 ? Unavailable503() : Committed(); });
  EXPECT_TRUE(h.reporter.RunOnce(30000).ok());
  EXPECT_EQ(h.transport.sent.size(), 4u);
  EXPECT_EQ(h.clock.sleeps_ms(), (std::vector<int64_t>{500, 1000, 2000}));
  EXPECT_TRUE(h.Logged("seq=1 ports=3: failed (HTTP 503: PA.0503); retry in 0.5 s"));
}

TEST(ReporterTest, RunOnceGivesUpWhenRetryForRunsOut) {
  Harness h([](const std::string&, int64_t) { return Unavailable503(); });
  const Status s = h.reporter.RunOnce(10000);
  EXPECT_EQ(s.kind(), ErrorKind::kUnavailable);
  EXPECT_NE(s.message().find("within 10 s"), std::string::npos) << s.message();
  // Attempts at 0, 0.5, 1.5, 3.5, 7.5 s, then a last one at the 10 s deadline.
  std::vector<int64_t> times;
  for (const auto& sent : h.transport.sent) times.push_back(sent.at_ms);
  EXPECT_EQ(times, (std::vector<int64_t>{0, 500, 1500, 3500, 7500, 10000}));
  EXPECT_TRUE(h.Logged("giving up"));
}

TEST(ReporterTest, RunOnceWithZeroRetryForMakesOneAttempt) {
  Harness h([](const std::string&, int64_t) { return Unavailable503(); });
  EXPECT_FALSE(h.reporter.RunOnce(0).ok());
  EXPECT_EQ(h.transport.sent.size(), 1u);
  EXPECT_TRUE(h.clock.sleeps_ms().empty());
}

TEST(ReporterTest, RunOnceReturnsPermanentRefusalWithoutRetrying) {
  Harness h([](const std::string&, int64_t) { return Refused(); });
  const Status s = h.reporter.RunOnce(30000);
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(s.message().find("HTTP 400: PA.0001"), std::string::npos) << s.message();
  EXPECT_EQ(h.transport.sent.size(), 1u);
}

TEST(ReporterTest, RunOnceReturnsCollectorErrorWithoutSending) {
  Harness h([](const std::string&, int64_t) { return Committed(); });
  h.fail_collections = 1;
  EXPECT_EQ(h.reporter.RunOnce(30000).kind(), ErrorKind::kIo);
  EXPECT_TRUE(h.transport.sent.empty());
}

TEST(ReporterTest, RunOnceStopsWhenAskedToStop) {
  Harness h([](const std::string&, int64_t) { return Unavailable503(); });
  h.clock.StopAt(0);
  const Status s = h.reporter.RunOnce(30000);
  EXPECT_EQ(s.kind(), ErrorKind::kUnavailable);
  EXPECT_NE(s.message().find("stopped"), std::string::npos) << s.message();
  EXPECT_EQ(h.transport.sent.size(), 1u);
}

TEST(ReporterTest, RunForeverReportsEveryInterval) {
  Harness h([](const std::string&, int64_t) { return Committed(); });
  h.clock.StopAt(95000);
  h.reporter.RunForever(30000);
  std::vector<int64_t> times;
  for (const auto& sent : h.transport.sent) times.push_back(sent.at_ms);
  EXPECT_EQ(times, (std::vector<int64_t>{0, 30000, 60000, 90000}));
  EXPECT_EQ(h.SentBodies(), (std::vector<std::string>{"seq=1", "seq=2", "seq=3", "seq=4"}));
  EXPECT_EQ(h.log.back(), "stopped");
}

TEST(ReporterTest, NewerSnapshotReplacesTheUnsentOne) {
  // The server is down until 65 s; collections at 0, 30 and 60 s; backoff capped at 30 s.
  Harness h([](const std::string&,
               int64_t now_ms) { return now_ms < 65000 ? Unavailable503() : Committed(); },
            30000);
  h.clock.StopAt(89000);
  h.reporter.RunForever(30000);
  const std::vector<std::string> bodies = h.SentBodies();
  ASSERT_FALSE(bodies.empty());
  // Never an older snapshot after a newer one, and only the newest is delivered.
  for (size_t i = 1; i < bodies.size(); ++i) EXPECT_LE(bodies[i - 1], bodies[i]) << i;
  EXPECT_EQ(bodies.back(), "seq=3");
  // seq=1 at 0, 0.5, 1.5, 3.5, 7.5, 15.5 s; seq=2 at 30.5, 45.5 s; seq=3 at 60.5, 75.5 s.
  EXPECT_EQ(bodies, (std::vector<std::string>{"seq=1", "seq=1", "seq=1", "seq=1", "seq=1", "seq=1",
                                              "seq=2", "seq=2", "seq=3", "seq=3"}));
  EXPECT_EQ(h.transport.sent.back().at_ms, 75500);
  EXPECT_TRUE(h.Logged("seq=1 ports=3: not delivered, replaced by seq=2"));
  EXPECT_TRUE(h.Logged("seq=2 ports=3: not delivered, replaced by seq=3"));
  EXPECT_TRUE(h.Logged("seq=3 ports=3: committed"));
}

TEST(ReporterTest, RefusedReportIsDroppedAndTheNextOneStillSent) {
  Harness h(
      [](const std::string& body, int64_t) { return body == "seq=1" ? Refused() : Committed(); });
  h.clock.StopAt(45000);
  h.reporter.RunForever(30000);
  EXPECT_EQ(h.SentBodies(), (std::vector<std::string>{"seq=1", "seq=2"}));
  EXPECT_EQ(h.transport.sent[1].at_ms, 30000);
  EXPECT_TRUE(h.Logged("seq=1 ports=3: refused (HTTP 400: PA.0001: ports: too many); dropped"));
}

TEST(ReporterTest, FailedCollectionIsLoggedAndRetriedNextInterval) {
  Harness h([](const std::string&, int64_t) { return Committed(); });
  h.fail_collections = 1;
  h.clock.StopAt(45000);
  h.reporter.RunForever(30000);
  EXPECT_EQ(h.SentBodies(), std::vector<std::string>{"seq=1"});
  EXPECT_EQ(h.transport.sent[0].at_ms, 30000);
  EXPECT_TRUE(h.Logged("collection failed: io: proc unreadable"));
}

TEST(ReporterTest, StopWithAnUnsentReportSaysSo) {
  Harness h([](const std::string&, int64_t) { return Unavailable503(); });
  h.clock.StopAt(10000);
  h.reporter.RunForever(30000);
  EXPECT_TRUE(h.Logged("seq=1 ports=3: not delivered, stopping"));
}

}  // namespace
}  // namespace portatlas::agent
