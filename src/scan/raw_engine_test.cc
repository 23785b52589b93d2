// The raw engine on the in-memory link (fake_link.h): rounds, pacing, reply matching, resume
// and failures, without root and without timing. Addresses are 198.18.0.0/15 and 2001:2::/48;
// nothing leaves the process.
#include "scan/raw_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scan/fake_link.h"
#include "scan/test_frames.h"

namespace portatlas::scan {
namespace {

using Frame = FakeLink::Frame;

enum class Behaviour { kOpen, kClosed, kProhibited, kSilent, kWrongAck, kLoseFirst, kTwice };
using Rules = std::map<std::pair<std::string, uint16_t>, Behaviour>;

IpAddr Ip(const char* s) { return *ParseIpAddr(s); }

RawPlan Plan() {
  RawPlan plan;
  plan.ifindex = 7;
  plan.ifname = "fake0";
  plan.tmpl[0].src = Ip("198.18.0.1");
  plan.tmpl[1].src = Ip("2001:2::1");
  plan.have = {true, true};
  return plan;
}

// The far side: hosts that answer each probe as the rules say (silent by default).
FakeLink::Network MakeNetwork(Rules rules) {
  auto lost = std::make_shared<std::pair<std::mutex, std::set<std::string>>>();
  return [rules = std::move(rules), lost](const Frame& sent) -> std::vector<Frame> {
    const auto probe = DecodeFrame(sent);
    if (!probe) return {};
    const std::string dst = probe->dst.ToString();
    const auto it = rules.find({dst, probe->dport});
    const Behaviour b = it == rules.end() ? Behaviour::kSilent : it->second;
    const bool tcp = probe->kind == ReplyKind::kTcp;
    const bool v4 = probe->dst.family == Family::kIpv4;
    const char* router = v4 ? "198.18.0.254" : "2001:2::fe";
    switch (b) {
      case Behaviour::kOpen:
        return {tcp ? testframes::AnswerTo(sent, kTcpSyn | kTcpAck, probe->seq + 1)
                    : testframes::UdpAnswerTo(sent)};
      case Behaviour::kTwice: {
        Frame answer = testframes::AnswerTo(sent, kTcpSyn | kTcpAck, probe->seq + 1);
        return {answer, answer};
      }
      case Behaviour::kClosed:
        if (tcp) return {testframes::AnswerTo(sent, kTcpRst | kTcpAck, probe->seq + 1)};
        return {testframes::Unreachable(sent, dst.c_str(), v4 ? 3 : 4)};
      case Behaviour::kProhibited:
        return {testframes::Unreachable(sent, router, v4 ? 13 : 1)};
      case Behaviour::kWrongAck:
        return {testframes::AnswerTo(sent, kTcpSyn | kTcpAck, probe->seq + 2)};
      case Behaviour::kLoseFirst: {
        std::lock_guard lock(lost->first);
        const std::string key = dst + ":" + std::to_string(probe->dport);
        if (lost->second.insert(key).second) return {};
        return {tcp ? testframes::AnswerTo(sent, kTcpSyn | kTcpAck, probe->seq + 1)
                    : testframes::UdpAnswerTo(sent)};
      }
      case Behaviour::kSilent:
        return {};
    }
    return {};
  };
}

struct Outcome {
  std::map<std::pair<std::string, uint16_t>, std::pair<PortState, std::string>> found;
  Result<RawStats> stats = RawStats{};
  std::vector<FakeLink::Sent> sent;
  std::vector<Frame> sent_now;
};

class RawEngineTest : public ::testing::Test {
 public:
  Outcome Scan(const std::vector<std::string>& targets, const std::vector<uint16_t>& ports,
               RawOptions o, const Rules& rules, const std::function<void(FakeLink&)>& setup = {}) {
    FakePaceClock clock;
    FakeLink link(MakeNetwork(rules), clock);
    clock.set_link(&link);
    if (setup) setup(link);
    auto set = ParseTargets(targets, SystemResolve);
    EXPECT_TRUE(set.has_value());
    Outcome run;
    std::mutex mu;
    run.stats = RunRawEngine(Plan(), *set, ports, o, link, clock, [&](const PortResult& r) {
      std::lock_guard lock(mu);
      const bool fresh = run.found
                             .emplace(std::make_pair(r.ip.ToString(), r.port),
                                      std::make_pair(r.state, std::string(r.reason)))
                             .second;
      EXPECT_TRUE(fresh) << "reported twice: " << r.ip.ToString() << ":" << r.port;
    });
    run.sent = link.sent();
    run.sent_now = link.sent_now();
    return run;
  }
};

RawOptions Options(RawMode mode, int retries) {
  RawOptions o;
  o.mode = mode;
  o.retries = retries;
  o.wait_ms = 100;
  o.seed = 42;
  o.tx_threads = 2;
  return o;
}

TEST_F(RawEngineTest, SynScanTellsOpenClosedFilteredAndSilentV4AndV6) {
  const Rules rules = {
      {{"198.18.0.10", 22}, Behaviour::kOpen},       {{"198.18.0.10", 80}, Behaviour::kClosed},
      {{"198.18.0.11", 22}, Behaviour::kProhibited}, {{"2001:2::10", 443}, Behaviour::kOpen},
      {{"2001:2::10", 80}, Behaviour::kProhibited},  {{"198.18.0.11", 443}, Behaviour::kTwice},
      {{"198.18.0.11", 80}, Behaviour::kWrongAck},
  };
  Outcome run =
      Scan({"198.18.0.10-11", "2001:2::10"}, {22, 80, 443}, Options(RawMode::kSyn, 2), rules);
  ASSERT_TRUE(run.stats.has_value()) << run.stats.error().message();
  using P = std::pair<PortState, std::string>;
  const std::map<std::pair<std::string, uint16_t>, P> want = {
      {{"198.18.0.10", 22}, P{PortState::kOpen, "syn-ack"}},
      {{"198.18.0.10", 80}, P{PortState::kClosed, "reset"}},
      {{"198.18.0.10", 443}, P{PortState::kFiltered, "no-response"}},
      {{"198.18.0.11", 22}, P{PortState::kFiltered, "admin-prohibited"}},
      {{"198.18.0.11", 80}, P{PortState::kFiltered, "no-response"}},  // a reply without our cookie
      {{"198.18.0.11", 443}, P{PortState::kOpen, "syn-ack"}},
      {{"2001:2::10", 22}, P{PortState::kFiltered, "no-response"}},
      {{"2001:2::10", 80}, P{PortState::kFiltered, "admin-prohibited"}},
      {{"2001:2::10", 443}, P{PortState::kOpen, "syn-ack"}},
  };
  EXPECT_EQ(run.found, want);
  const RawStats& st = *run.stats;
  EXPECT_EQ(st.open, 3u);
  EXPECT_EQ(st.closed, 1u);
  EXPECT_EQ(st.filtered, 5u);
  // Three silent probes, each resent in both resend rounds.
  EXPECT_EQ(st.rounds, 3u);
  EXPECT_EQ(st.resent, 6u);
  EXPECT_EQ(st.frames, 9u + 6u);
  EXPECT_EQ(run.sent.size(), 15u);
  // Every SYN-ACK of ours (the duplicate too) is torn down with an RST.
  EXPECT_EQ(st.rsts, 4u);
  ASSERT_EQ(run.sent_now.size(), 4u);
  for (const Frame& f : run.sent_now) {
    auto rst = DecodeFrame(f);
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->tcp_flags, kTcpRst);
  }
  EXPECT_EQ(st.replies, 7u);  // the duplicate counts as a reply, not as a second answer
  EXPECT_EQ(st.next_index, 9u);
  EXPECT_EQ(st.interface, "fake0");
}

TEST_F(RawEngineTest, AProbeLostOnceIsFoundInTheResendRound) {
  const Rules rules = {{{"198.18.0.10", 22}, Behaviour::kLoseFirst},
                       {{"198.18.0.10", 80}, Behaviour::kOpen}};
  Outcome run = Scan({"198.18.0.10"}, {22, 80}, Options(RawMode::kSyn, 3), rules);
  ASSERT_TRUE(run.stats.has_value());
  EXPECT_EQ(run.found.at({"198.18.0.10", 22}).first, PortState::kOpen);
  EXPECT_EQ(run.found.at({"198.18.0.10", 80}).first, PortState::kOpen);
  EXPECT_EQ(run.stats->rounds, 2u);  // all answered after the first resend: no more rounds
  EXPECT_EQ(run.stats->resent, 1u);
}

TEST_F(RawEngineTest, WithoutRetriesNothingIsResent) {
  Outcome run = Scan({"198.18.0.10"}, {1, 2, 3}, Options(RawMode::kSyn, 0), {});
  ASSERT_TRUE(run.stats.has_value());
  EXPECT_EQ(run.stats->rounds, 1u);
  EXPECT_EQ(run.sent.size(), 3u);
  EXPECT_EQ(run.stats->filtered, 3u);
}

TEST_F(RawEngineTest, UdpScanTellsOpenClosedAndSilentAndSendsEachRoundsPayload) {
  const Rules rules = {{{"198.18.0.10", 53}, Behaviour::kOpen},
                       {{"198.18.0.10", 9}, Behaviour::kClosed},
                       {{"198.18.0.10", 161}, Behaviour::kProhibited}};
  RawOptions o = Options(RawMode::kUdp, 1);
  const std::vector<uint8_t> first = {1, 2, 3};
  const std::vector<uint8_t> second = {4, 5};
  o.udp_payload = [&](uint16_t, int round) -> std::span<const uint8_t> {
    return round == 0 ? first : second;
  };
  Outcome run = Scan({"198.18.0.10"}, {9, 53, 123, 161}, o, rules);
  ASSERT_TRUE(run.stats.has_value());
  using P = std::pair<PortState, std::string>;
  EXPECT_EQ(run.found.at({"198.18.0.10", 53}), (P{PortState::kOpen, "udp-response"}));
  EXPECT_EQ(run.found.at({"198.18.0.10", 9}), (P{PortState::kClosed, "port-unreach"}));
  EXPECT_EQ(run.found.at({"198.18.0.10", 161}), (P{PortState::kFiltered, "admin-prohibited"}));
  EXPECT_EQ(run.found.at({"198.18.0.10", 123}), (P{PortState::kOpenFiltered, "no-response"}));
  EXPECT_EQ(run.stats->open_filtered, 1u);
  EXPECT_TRUE(run.sent_now.empty());  // no RSTs for UDP
  // Four probes with the first payload, then the one silent port again with the second.
  ASSERT_EQ(run.sent.size(), 5u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(run.sent[i].frame.size(), 14u + 20 + 8 + first.size()) << i;
  }
  EXPECT_EQ(run.sent[4].frame.size(), 14u + 20 + 8 + second.size());
  EXPECT_EQ(DecodeFrame(run.sent[4].frame)->dport, 123);
}

// One sender paces 1,000 silent probes at `rate_pps`; each batch (about 0.5 ms of the rate)
// must leave at exactly its slot of the virtual clock, and the round end at 1,000 / rate.
void ExpectPacedAt(RawEngineTest& t, uint64_t rate_pps, size_t batch) {
  RawOptions o = Options(RawMode::kSyn, 0);
  o.tx_threads = 1;
  o.rate_pps = rate_pps;
  o.wait_ms = 0;
  std::vector<uint16_t> ports;
  for (uint16_t p = 1; p <= 1000; ++p) ports.push_back(p);
  const Outcome run = t.Scan({"198.18.0.10"}, ports, o, {});
  ASSERT_TRUE(run.stats.has_value());
  ASSERT_EQ(run.sent.size(), 1000u);
  const auto slot_ns = static_cast<int64_t>(batch * 1'000'000'000ULL / rate_pps);
  for (size_t i = 0; i < run.sent.size(); ++i) {
    ASSERT_EQ(run.sent[i].at.count(), static_cast<int64_t>(i / batch) * slot_ns) << i;
  }
  EXPECT_DOUBLE_EQ(run.stats->send_seconds, 1000.0 / static_cast<double>(rate_pps));
}

// At 2,000 probes/s every frame is flushed alone and frame i leaves at i x 0.5 ms.
TEST_F(RawEngineTest, PacingHoldsTheRateOnTheVirtualClock) { ExpectPacedAt(*this, 2000, 1); }

// At 20,000 probes/s frames leave in batches of 10, each batch at its 0.5 ms slot.
TEST_F(RawEngineTest, PacingSendsInBatchesAtTheirSlots) { ExpectPacedAt(*this, 20000, 10); }

TEST_F(RawEngineTest, ASenderTheLinkRefusesIsAnErrorAndNothingIsSent) {
  for (int fail_from : {0, 1}) {
    Outcome run = Scan({"198.18.0.10"}, {22, 80, 443}, Options(RawMode::kSyn, 1),
                       {{{"198.18.0.10", 22}, Behaviour::kOpen}},
                       [fail_from](FakeLink& l) { l.FailSendersFrom(fail_from); });
    ASSERT_FALSE(run.stats.has_value());
    EXPECT_NE(run.stats.error().message().find("refuses a sender"), std::string::npos);
    EXPECT_TRUE(run.sent.empty());
    EXPECT_TRUE(run.found.empty());
  }
}

TEST_F(RawEngineTest, ALinkThatStopsTakingFramesIsAnErrorAfterWhatWasSent) {
  std::vector<uint16_t> ports;
  for (uint16_t p = 1; p <= 100; ++p) ports.push_back(p);
  RawOptions o = Options(RawMode::kSyn, 2);
  o.tx_threads = 1;
  Outcome run = Scan({"198.18.0.10"}, ports, o, {}, [](FakeLink& l) { l.StopTakingAfter(40); });
  ASSERT_FALSE(run.stats.has_value());
  EXPECT_NE(run.stats.error().message().find("stopped draining"), std::string::npos);
  EXPECT_EQ(run.sent.size(), 40u);
  EXPECT_EQ(run.found.size(), 40u);  // what was sent is still reported
}

// A scan stopped part way and resumed from its next_index with the same seed reports exactly
// what one uninterrupted scan reports.
TEST_F(RawEngineTest, StoppedAndResumedEqualsUninterrupted) {
  Rules rules;
  for (uint16_t p = 1; p <= 200; p += 7) rules[{"198.18.0.10", p}] = Behaviour::kOpen;
  for (uint16_t p = 3; p <= 200; p += 11) rules[{"198.18.0.11", p}] = Behaviour::kClosed;
  std::vector<uint16_t> ports;
  for (uint16_t p = 1; p <= 200; ++p) ports.push_back(p);
  RawOptions o = Options(RawMode::kSyn, 1);
  o.tx_threads = 1;
  o.rate_pps = 2000;  // one frame a batch: the stop flag is seen after every frame
  const Outcome whole = Scan({"198.18.0.10-11"}, ports, o, rules);
  ASSERT_TRUE(whole.stats.has_value());
  ASSERT_EQ(whole.found.size(), 400u);

  std::atomic<bool> stop{false};
  RawOptions first = o;
  first.stop = &stop;
  std::atomic<int> seen{0};
  FakePaceClock clock;
  FakeLink link(MakeNetwork(rules), clock);
  clock.set_link(&link);
  auto set = ParseTargets({"198.18.0.10-11"}, SystemResolve);
  Outcome part;
  std::mutex mu;
  part.stats = RunRawEngine(Plan(), *set, ports, first, link, clock, [&](const PortResult& r) {
    std::lock_guard lock(mu);
    part.found[{r.ip.ToString(), r.port}] = {r.state, std::string(r.reason)};
    if (++seen == 30) stop = true;
  });
  ASSERT_TRUE(part.stats.has_value());
  EXPECT_TRUE(part.stats->interrupted);
  ASSERT_GT(part.stats->next_index, 0u);
  ASSERT_LT(part.stats->next_index, 400u);

  RawOptions rest = o;
  rest.start_index = part.stats->next_index;
  const Outcome resumed = Scan({"198.18.0.10-11"}, ports, rest, rules);
  ASSERT_TRUE(resumed.stats.has_value());
  EXPECT_EQ(resumed.sent.size(), 400u - part.stats->next_index + resumed.stats->resent);
  auto all = part.found;
  for (const auto& [k, v] : resumed.found) {
    EXPECT_TRUE(all.emplace(k, v).second) << "both halves report " << k.first << ":" << k.second;
  }
  EXPECT_EQ(all, whole.found);
}

TEST_F(RawEngineTest, SenderCountFollowsOptionsRateAndProbes) {
  RawOptions o;
  o.tx_threads = 3;
  EXPECT_EQ(SenderCount(o, 1000), 3u);
  EXPECT_EQ(SenderCount(o, 2), 2u);
  o.rate_pps = 1500;
  EXPECT_EQ(SenderCount(o, 1000), 1u);
  o.rate_pps = 0;
  o.tx_threads = 0;
  EXPECT_GE(SenderCount(o, 1000), 1u);
  EXPECT_LE(SenderCount(o, 1000), 4u);
}

TEST_F(RawEngineTest, TooManyProbesAreRefusedBeforeAnythingIsOpened) {
  EXPECT_TRUE(CheckProbeCount(uint64_t{1} << 16, 65536).ok());
  EXPECT_FALSE(CheckProbeCount((uint64_t{1} << 16) + 1, 65536).ok());
}

TEST(ReceiveFilterTest, NamesOurAddressesAndTheNeighbourLookupsOfASpareSource) {
  RawPlan plan = Plan();
  EXPECT_EQ(ReceiveFilter(plan, ModuleFor(RawMode::kSyn)),
            "((tcp or icmp or icmp6) and (dst host 198.18.0.1 or dst host 2001:2::1))");
  plan.have[1] = false;
  plan.spare = {true, true};
  EXPECT_EQ(ReceiveFilter(plan, ModuleFor(RawMode::kUdp)),
            "((udp or icmp or icmp6) and (dst host 198.18.0.1)) or arp or (icmp6 and ip6[40] == "
            "135)");
}

}  // namespace
}  // namespace portatlas::scan
