#include "flow/aggregator.h"

#include <gtest/gtest.h>

#include "core/traffic_json.h"

namespace portatlas::flow {
namespace {

constexpr int64_t kHour = 1'765'000'800'000;  // an hour boundary

std::shared_ptr<const InternetRanges> TestInternet() {
  AddrSet internet;
  internet.Add(**ParseAddrRange("198.19.0.0/16"));
  return std::make_shared<InternetRanges>(internet, AddrSet());
}

FlowRecord Flow(const char* src, uint16_t sport, const char* dst, uint16_t dport, uint64_t bytes,
                uint64_t packets, int64_t start_ms = kHour + 1000) {
  FlowRecord f;
  f.src = *ParseIpAddr(src);
  f.dst = *ParseIpAddr(dst);
  f.src_port = sport;
  f.dst_port = dport;
  f.ip_proto = kIpProtoTcp;
  f.tcp_flags = 0x1b;
  f.bytes = bytes;
  f.packets = packets;
  f.start_ms = start_ms;
  return f;
}

TEST(AggregatorTest, BothDirectionsOfAConnectionLandOnTheServerPort) {
  Aggregator a(TestInternet(), std::make_shared<WellKnownPorts>());
  const FlowLabel tls{"TLS", "", ""};
  a.Add(Flow("198.19.0.1", 40000, "198.18.0.2", 443, 500, 5), tls, 0);
  a.Add(Flow("198.18.0.2", 443, "198.19.0.1", 40000, 7000, 6), tls, 0);
  a.Add(Flow("198.19.0.7", 40001, "198.18.0.2", 443, 100, 2), tls, 0);
  auto records = a.Drain();
  ASSERT_EQ(records.size(), 1u);
  const TrafficRecord& r = records[0];
  EXPECT_EQ(r.ip.ToString(), "198.18.0.2");
  EXPECT_EQ(r.port, 443);
  EXPECT_EQ(r.bucket_ms, kHour);
  EXPECT_EQ(r.bytes_in, 600u);
  EXPECT_EQ(r.packets_in, 7u);
  EXPECT_EQ(r.bytes_out, 7000u);
  EXPECT_EQ(r.packets_out, 6u);
  EXPECT_EQ(r.flows, 2u);
  EXPECT_EQ(r.protocols, (NamedCounts{{"TLS", 7600}}));
  EXPECT_EQ(DistinctCount::Parse(r.sources)->Estimate(), 2u);
  EXPECT_EQ(a.size(), 0u);
}

TEST(AggregatorTest, HoursInternalFlowsAndOtherProtocolsAreKeptApart) {
  Aggregator a(TestInternet(), std::make_shared<WellKnownPorts>());
  const FlowLabel ssh{"SSH", "", ""};
  a.Add(Flow("198.19.0.1", 40000, "198.18.0.2", 22, 1, 1, kHour + 10), ssh, 0);
  a.Add(Flow("198.19.0.1", 40000, "198.18.0.2", 22, 1, 1, kHour + kHourMs), ssh, 0);
  a.Add(Flow("198.18.0.9", 40000, "198.18.0.2", 22, 1, 1), ssh, 0);  // not internet
  FlowRecord icmp = Flow("198.19.0.1", 0, "198.18.0.2", 0, 1, 1);
  icmp.ip_proto = 1;
  a.Add(icmp, {}, 0);
  FlowRecord no_time = Flow("198.19.0.1", 40000, "198.18.0.2", 22, 1, 1, 0);
  a.Add(no_time, ssh, kHour + 2 * kHourMs + 5);  // bucketed by the collector's clock
  auto records = a.Drain();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].bucket_ms, kHour);
  EXPECT_EQ(records[1].bucket_ms, kHour + kHourMs);
  EXPECT_EQ(records[2].bucket_ms, kHour + 2 * kHourMs);
  EXPECT_EQ(a.stats().not_internet, 1u);
  EXPECT_EQ(a.stats().other_protocols, 1u);
  EXPECT_EQ(a.stats().aggregated, 3u);
}

TEST(AggregatorTest, UnknownReasonsComeFromTcpFlags) {
  Aggregator a(TestInternet(), std::make_shared<WellKnownPorts>());
  FlowRecord syn_only = Flow("198.19.0.1", 40000, "198.18.0.2", 8081, 120, 3);
  syn_only.tcp_flags = 0x02;
  FlowRecord bare = Flow("198.19.0.1", 40001, "198.18.0.2", 8082, 160, 4);
  bare.tcp_flags = 0x11;  // ACK|FIN: a handshake, no payload seen by the exporter
  a.Add(syn_only, ExportedFlowLabel(syn_only), 0);
  a.Add(bare, ExportedFlowLabel(bare), 0);
  auto records = a.Drain();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].unknown, (NamedCounts{{"tcp_not_establish", 1}}));
  EXPECT_EQ(records[1].unknown, (NamedCounts{{"no_payload", 1}}));
  EXPECT_EQ(records[1].protocols, (NamedCounts{{"Unknown", 160}}));
}

TEST(AggregatorTest, ListenersDecideTheServerSide) {
  Aggregator a(TestInternet(), std::make_shared<WellKnownPorts>());
  auto listeners = std::make_shared<ListenerSet>();
  listeners->Add(*ParseIpAddr("198.18.0.2"), Proto::kTcp, 45000);
  a.SetListeners(listeners);
  a.Add(Flow("198.19.0.1", 50000, "198.18.0.2", 45000, 10, 1), {}, 0);
  a.Add(Flow("198.18.0.2", 45000, "198.19.0.1", 50000, 20, 1), {}, 0);
  auto records = a.Drain();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].port, 45000);
  EXPECT_EQ(records[0].bytes_in, 10u);
  EXPECT_EQ(records[0].bytes_out, 20u);
}

}  // namespace
}  // namespace portatlas::flow
