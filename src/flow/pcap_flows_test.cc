#include "flow/pcap_flows.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flow/test_packets.h"

namespace portatlas::flow {
namespace {

constexpr uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08, kFin = 0x01, kRst = 0x04;
constexpr int64_t kT0 = 1'765'000'000'000;

struct Emitted {
  FlowRecord flow;
  std::string protocol;
  std::string reason;
  std::string server_name;
};

class FlowBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dpi = NdpiClassifier::Create();
    ASSERT_TRUE(dpi) << dpi.error().ToString();
    dpi_ = std::move(*dpi);
    builder_ = std::make_unique<FlowBuilder>(
        *dpi_, FlowBuilderOptions{}, [this](const FlowRecord& f, const FlowLabel& l) {
          out_.push_back({f, std::string(l.protocol), std::string(l.unknown_reason),
                          std::string(l.server_name)});
        });
  }
  void Send(const TestPacket& p, int64_t t) {
    frames_.push_back(EthernetFrame(p));
    auto info = ParsePacket(kLinkEthernet, frames_.back());
    ASSERT_TRUE(info);
    builder_->Add(*info, t);
  }
  // A whole TCP conversation: handshake, the request and response payloads, FIN both ways.
  void Conversation(const char* client, uint16_t sport, const char* server, uint16_t dport,
                    std::string_view request, std::string_view response, int64_t t) {
    Send({client, server, sport, dport, 6, kSyn, ""}, t);
    Send({server, client, dport, sport, 6, kSyn | kAck, ""}, t + 1);
    Send({client, server, sport, dport, 6, kAck, ""}, t + 2);
    if (!request.empty()) Send({client, server, sport, dport, 6, kPsh | kAck, request}, t + 3);
    if (!response.empty()) Send({server, client, dport, sport, 6, kPsh | kAck, response}, t + 4);
    Send({client, server, sport, dport, 6, kFin | kAck, ""}, t + 5);
    Send({server, client, dport, sport, 6, kFin | kAck, ""}, t + 6);
  }

  std::unique_ptr<NdpiClassifier> dpi_;
  std::unique_ptr<FlowBuilder> builder_;
  std::vector<std::vector<uint8_t>> frames_;  // nDPI may keep pointers until a flow ends
  std::vector<Emitted> out_;
};

TEST_F(FlowBuilderTest, AnHttpConversationIsOneFlowNamedWithItsHost) {
  Conversation("198.19.0.1", 40000, "198.18.0.2", 80,
               "GET / HTTP/1.1\r\nHost: www.pa-tb.test\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n",
               "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n", kT0);
  builder_->Flush();
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].protocol, "HTTP");
  EXPECT_EQ(out_[0].server_name, "www.pa-tb.test");
  EXPECT_EQ(out_[0].flow.src.ToString(), "198.19.0.1");
  EXPECT_EQ(out_[0].flow.dst_port, 80);
  EXPECT_EQ(out_[0].flow.packets, 4u);
  EXPECT_EQ(out_[0].flow.rev_packets, 3u);
  EXPECT_EQ(out_[0].flow.start_ms, kT0);
  EXPECT_EQ(out_[0].flow.end_ms, kT0 + 6);
}

TEST_F(FlowBuilderTest, UnknownReasonsFollowWhatTheHandshakeAndPayloadWere) {
  // SYNs answered by RST: never established.
  Send({"198.19.0.1", "198.18.0.2", 40001, 9, 6, kSyn, ""}, kT0);
  Send({"198.18.0.2", "198.19.0.1", 9, 40001, 6, kRst | kAck, ""}, kT0 + 1);
  // A handshake and nothing else.
  Conversation("198.19.0.1", 40002, "198.18.0.2", 8843, "", "", kT0);
  // Payload both ways that nothing names, on a port nDPI has no guess for.
  Conversation("198.19.0.1", 40003, "198.18.0.2", 47001, std::string(64, '\x7f'),
               std::string(64, '\x7e'), kT0);
  // Payload one way only.
  Conversation("198.19.0.1", 40004, "198.18.0.2", 47002, std::string(64, '\x7d'), "", kT0);
  builder_->Flush();
  ASSERT_EQ(out_.size(), 4u);
  std::map<uint16_t, std::string> reason;
  for (const Emitted& e : out_) {
    EXPECT_EQ(e.protocol, std::string(kUnknownProtocol)) << e.flow.dst_port;
    reason[e.flow.dst_port] = e.reason;
  }
  EXPECT_EQ(reason[9], "tcp_not_establish");
  EXPECT_EQ(reason[8843], "no_payload");
  EXPECT_EQ(reason[47001], "unknown_strict");
  EXPECT_EQ(reason[47002], "unknown_loose");
}

TEST_F(FlowBuilderTest, ACaptureStartingAtTheSynAckStillKnowsTheClient) {
  Send({"198.18.0.2", "198.19.0.1", 22, 40005, 6, kSyn | kAck, ""}, kT0);
  Send({"198.19.0.1", "198.18.0.2", 40005, 22, 6, kAck, ""}, kT0 + 1);
  builder_->Flush();
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].flow.src.ToString(), "198.19.0.1");
  EXPECT_EQ(out_[0].flow.dst_port, 22);
}

TEST_F(FlowBuilderTest, TimeoutsEndFlowsAndANewOneStarts) {
  Send({"198.19.0.1", "198.18.0.5", 5353, 53, 17, 0, "q1"}, kT0);
  builder_->Expire(kT0 + 30'000);
  EXPECT_TRUE(out_.empty());  // idle 30 s: UDP's timeout is 60 s
  Send({"198.19.0.1", "198.18.0.5", 5353, 53, 17, 0, "q2"}, kT0 + 61'000 + 30'000);
  builder_->Expire(kT0 + 61'000 + 30'000);
  EXPECT_EQ(out_.size(), 1u);  // the first ended when the second packet came, 91 s after
  builder_->Flush();
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(out_[0].flow.packets, 1u);
  EXPECT_EQ(out_[1].flow.packets, 1u);
  // A closed TCP connection ends 5 s after its last FIN.
  Conversation("198.19.0.1", 40006, "198.18.0.2", 80, "", "", kT0);
  builder_->Expire(kT0 + 6 + 6'000);
  EXPECT_EQ(out_.size(), 3u);
  EXPECT_EQ(builder_->size(), 0u);
}

}  // namespace
}  // namespace portatlas::flow
