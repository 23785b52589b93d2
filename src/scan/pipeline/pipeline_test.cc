// The scan pipeline with the connect engine against listeners on 127.0.0.1 (no root needed):
// the allow-list in the library, the sinks' records, and stopped + resumed = uninterrupted.
// Ports 20000-20599 (below Linux's ephemeral range, so no other test's socket takes one).
#include "scan/pipeline/pipeline.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scan/pipeline/resume.h"

namespace portatlas::scan {
namespace {

using Found = std::map<std::pair<std::string, uint16_t>, std::string>;  // -> state

// What a sink received; optionally stops the scan after `stop_after` records.
class CollectingSink final : public ResultSink {
 public:
  explicit CollectingSink(bool wants_closed, std::atomic<bool>* stop = nullptr,
                          size_t stop_after = 0)
      : wants_closed_(wants_closed), stop_(stop), stop_after_(stop_after) {}
  bool WantsClosed() const override { return wants_closed_; }
  void Write(const ScanRecord& r) override {
    found[{r.ip.ToString(), r.port}] = r.state;
    ++writes;
    if (stop_ != nullptr && writes == stop_after_) stop_->store(true);
  }
  void Progress(uint64_t done, uint64_t total) override {
    last_done = done;
    last_total = total;
  }
  Found found;
  size_t writes = 0;
  uint64_t last_done = 0, last_total = 0;

 private:
  bool wants_closed_;
  std::atomic<bool>* stop_;
  size_t stop_after_;
};

// A listening socket on 127.0.0.1:port; -1 when the port is taken.
int Listen(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 128) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int p : {20007, 20123, 20300, 20451, 20599}) {
      const int fd = Listen(static_cast<uint16_t>(p));
      if (fd < 0) GTEST_SKIP() << "127.0.0.1:" << p << " is taken";
      listeners_.push_back(fd);
    }
  }
  void TearDown() override {
    for (int fd : listeners_) close(fd);
  }
  static ScanSpec Spec(uint16_t first, uint16_t last) {
    ScanSpec spec;
    spec.targets = *ParseTargets({"127.0.0.1"}, SystemResolve);
    spec.allowed = LoopbackAllowList();
    spec.tcp = TcpEngine::kConnect;
    for (uint32_t p = first; p <= last; ++p) spec.tcp_ports.push_back(static_cast<uint16_t>(p));
    spec.connect.max_in_flight = 8;
    spec.connect.timeout_ms = 2000;
    return spec;
  }
  std::vector<int> listeners_;
};

TEST_F(PipelineTest, TheLibraryRefusesTargetsOutsideTheAllowListBeforeSending) {
  ScanSpec spec = Spec(20000, 20010);
  spec.targets = *ParseTargets({"198.18.0.5", "127.0.0.1"}, SystemResolve);
  CollectingSink sink(true);
  auto outcome = RunScanPipeline(spec, {}, {&sink});
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().kind(), ErrorKind::kPermissionDenied);
  EXPECT_NE(outcome.error().message().find("198.18.0.5"), std::string::npos);
  EXPECT_EQ(sink.writes, 0u);
  EXPECT_EQ(sink.last_total, 0u);  // not even a progress report: nothing was sent
  // Widened by the operator, the same scan runs.
  spec.allowed.Add(*ParseTargets({"198.18.0.5/32"}, SystemResolve));
  EXPECT_TRUE(CheckScan(spec, {}).ok());
}

TEST_F(PipelineTest, SinksGetOpenPortsAndClosedOnesOnlyWhenTheyAskForThem) {
  const ScanSpec spec = Spec(20000, 20010);  // 20007 listens
  CollectingSink listed(false);
  CollectingSink all(true);
  auto outcome = RunScanPipeline(spec, {}, {&listed, &all});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
  EXPECT_EQ(listed.found, (Found{{{"127.0.0.1", 20007}, "open"}}));
  EXPECT_EQ(all.found.size(), 11u);
  EXPECT_EQ(all.found.at({"127.0.0.1", 20003}), "closed");
  EXPECT_EQ(outcome->open, 1u);
  EXPECT_EQ(outcome->hosts_up, 1u);
  ASSERT_EQ(outcome->phases.size(), 1u);
  EXPECT_EQ(outcome->phases[0].closed, 10u);
  EXPECT_FALSE(outcome->interrupted);
  EXPECT_EQ(outcome->resume.tcp_next, 11u);
  EXPECT_EQ(outcome->resume.fingerprint, ResumeFingerprint(spec));
  EXPECT_EQ(all.last_done, 11u);
  EXPECT_EQ(all.last_total, 11u);
  EXPECT_EQ(outcome->Summary(), "tcp (connect): 1 open, 10 closed, 0 filtered (11 connects)");
}

TEST_F(PipelineTest, StoppedSavedLoadedAndResumedEqualsUninterrupted) {
  const ScanSpec spec = Spec(20000, 20599);
  CollectingSink whole(true);
  auto full = RunScanPipeline(spec, {}, {&whole});
  ASSERT_TRUE(full.has_value());
  ASSERT_EQ(whole.found.size(), 600u);

  std::atomic<bool> stop{false};
  CollectingSink first(true, &stop, 50);
  PipelineHooks hooks;
  hooks.stop = &stop;
  auto part = RunScanPipeline(spec, {}, {&first}, hooks);
  ASSERT_TRUE(part.has_value());
  ASSERT_TRUE(part->interrupted);
  ASSERT_LT(part->resume.tcp_next, 600u);
  // Through the state file, as the CLI's --resume does.
  const std::string path = ::testing::TempDir() + "/pipeline_resume.json";
  ASSERT_TRUE(SaveResume(path, part->resume).ok());
  auto loaded = LoadResume(path);
  ASSERT_TRUE(loaded.has_value() && loaded->has_value());
  EXPECT_EQ(**loaded, part->resume);

  CollectingSink second(true);
  auto rest = RunScanPipeline(spec, **loaded, {&second});
  ASSERT_TRUE(rest.has_value()) << rest.error().message();
  EXPECT_FALSE(rest->interrupted);
  EXPECT_EQ(rest->resume.tcp_next, 600u);
  Found both = first.found;
  for (const auto& [k, v] : second.found) {
    auto [it, fresh] = both.emplace(k, v);
    if (!fresh) {
      EXPECT_EQ(it->second, v) << "the halves disagree on " << k.second;
    }
  }
  EXPECT_EQ(both, whole.found);
  unlink(path.c_str());
}

TEST_F(PipelineTest, AResumePointOfAnotherScanIsRefused) {
  ResumePoint other;
  other.fingerprint = ResumeFingerprint(Spec(20000, 20001));
  CollectingSink sink(true);
  auto outcome = RunScanPipeline(Spec(20000, 20002), other, {&sink});
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(sink.writes, 0u);
}

TEST(PipelineSpecTest, ProbeCountsAndEmptyScans) {
  ScanSpec spec;
  spec.targets = *ParseTargets({"127.0.0.1-4"}, SystemResolve);
  spec.allowed = LoopbackAllowList();
  spec.tcp_ports = {1, 2, 3};
  spec.udp_ports = {53};
  EXPECT_EQ(TcpProbes(spec), 12u);
  EXPECT_EQ(AllProbes(spec), 16u);
  spec.tcp_ports.clear();
  spec.udp_ports.clear();
  EXPECT_EQ(CheckScan(spec, {}).kind(), ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace portatlas::scan
