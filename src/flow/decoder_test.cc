#include "flow/decoder.h"

#include <gtest/gtest.h>

#include "flow/export_builder.h"

namespace portatlas::flow {
namespace {

const IpAddr kExporter = *ParseIpAddr("127.0.0.1");
constexpr int64_t kNow = 1'765'000'000'000;  // the collector's clock, ms
constexpr uint32_t kExportSecs = 1'765'000'000;

// IPFIX template 256: IPv4 5-tuple, delta counters, absolute ms times.
ExportBuilder& Ipv4Template(ExportBuilder& b, uint16_t id = 256) {
  return b.Template(
      id, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {1, 8}, {2, 8}, {152, 8}, {153, 8}});
}

ExportBuilder& Ipv4Record(ExportBuilder& b, std::string_view src, std::string_view dst,
                          uint16_t dport, uint64_t bytes, uint64_t packets) {
  return b.Ip(src)
      .Ip(dst)
      .U(40000, 2)
      .U(dport, 2)
      .U(6, 1)
      .U(0x1b, 1)
      .U(bytes, 8)
      .U(packets, 8)
      .U(uint64_t{kExportSecs} * 1000 - 5000, 8)
      .U(uint64_t{kExportSecs} * 1000 - 1000, 8);
}

std::vector<FlowRecord> DecodeOk(FlowDecoder& d, const std::vector<uint8_t>& msg,
                                 int64_t now = kNow) {
  std::vector<FlowRecord> out;
  Status st = d.Decode(kExporter, msg, now, &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

TEST(DecoderTest, DecodesAnIpfixTemplateAndItsData) {
  ExportBuilder b(Version::kIpfix, kExportSecs, 0, 1);
  Ipv4Template(b).BeginSet(256);
  Ipv4Record(b, "198.19.0.1", "198.18.0.2", 443, 1500, 3).EndSet();
  FlowDecoder d;
  auto flows = DecodeOk(d, b.Finish());
  ASSERT_EQ(flows.size(), 1u);
  const FlowRecord& f = flows[0];
  EXPECT_EQ(f.src.ToString(), "198.19.0.1");
  EXPECT_EQ(f.dst.ToString(), "198.18.0.2");
  EXPECT_EQ(f.src_port, 40000);
  EXPECT_EQ(f.dst_port, 443);
  EXPECT_EQ(f.ip_proto, kIpProtoTcp);
  EXPECT_EQ(f.tcp_flags, 0x1b);
  EXPECT_EQ(f.bytes, 1500u);
  EXPECT_EQ(f.packets, 3u);
  EXPECT_EQ(f.start_ms, int64_t{kExportSecs} * 1000 - 5000);
  EXPECT_EQ(f.end_ms, int64_t{kExportSecs} * 1000 - 1000);
  EXPECT_EQ(d.stats().flows, 1u);
  EXPECT_EQ(d.stats().templates, 1u);
}

TEST(DecoderTest, DecodesNetflowV5WithUptimeTimesAndSampling) {
  auto msg =
      BuildV5(kExportSecs, 100'000, 7, 0x4000 | 10,
              {{"198.19.0.1", "198.18.0.2", 5555, 22, kIpProtoTcp, 0x12, 4, 400, 90'000, 99'000}});
  FlowDecoder d;
  auto flows = DecodeOk(d, msg);
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].dst_port, 22);
  EXPECT_EQ(flows[0].bytes, 4000u);  // 1 in 10 sampled
  EXPECT_EQ(flows[0].packets, 40u);
  EXPECT_EQ(flows[0].sampling, 10u);
  EXPECT_EQ(flows[0].start_ms, int64_t{kExportSecs} * 1000 - 10'000);
  EXPECT_EQ(flows[0].end_ms, int64_t{kExportSecs} * 1000 - 1'000);
}

TEST(DecoderTest, V9UptimesWrapAfter49Days) {
  // The exporter's uptime wrapped after the flow started: first is near 2^32, sysUptime small.
  ExportBuilder b(Version::kV9, kExportSecs, 0, 3, /*sys_uptime_ms=*/2'000);
  b.Template(260, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 4}, {2, 4}, {22, 4}, {21, 4}})
      .BeginSet(260)
      .Ip("198.19.0.9")
      .Ip("198.18.0.3")
      .U(1234, 2)
      .U(53, 2)
      .U(17, 1)
      .U(80, 4)
      .U(1, 4)
      .U(0xffffffffu - 2'999, 4)
      .U(1'000, 4)
      .EndSet();
  FlowDecoder d;
  auto flows = DecodeOk(d, b.Finish());
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].start_ms, int64_t{kExportSecs} * 1000 - 5'000);
  EXPECT_EQ(flows[0].end_ms, int64_t{kExportSecs} * 1000 - 1'000);
}

TEST(DecoderTest, DataBeforeItsTemplateIsHeldAndDecodedWhenItComes) {
  FlowDecoder d;
  ExportBuilder data(Version::kIpfix, kExportSecs, 0, 1);
  data.BeginSet(256);
  Ipv4Record(data, "198.19.0.1", "198.18.0.2", 80, 100, 1);
  Ipv4Record(data, "198.19.0.2", "198.18.0.2", 80, 200, 2).EndSet();
  EXPECT_TRUE(DecodeOk(d, data.Finish()).empty());
  EXPECT_EQ(d.stats().pending_held, 1u);
  EXPECT_GT(d.pending_bytes(), 0u);

  ExportBuilder tmpl(Version::kIpfix, kExportSecs + 5, 2, 1);
  auto flows = DecodeOk(d, Ipv4Template(tmpl).Finish(), kNow + 5'000);
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[1].bytes, 200u);
  EXPECT_EQ(d.stats().pending_decoded, 1u);
  EXPECT_EQ(d.pending_bytes(), 0u);
}

TEST(DecoderTest, HeldDataPastItsHoldIsDroppedAndCounted) {
  DecoderOptions o;
  o.pending_hold_ms = 10'000;
  FlowDecoder d(o);
  ExportBuilder data(Version::kIpfix, kExportSecs, 0, 1);
  data.BeginSet(256);
  Ipv4Record(data, "198.19.0.1", "198.18.0.2", 80, 100, 1).EndSet();
  DecodeOk(d, data.Finish());
  ExportBuilder tmpl(Version::kIpfix, kExportSecs + 11, 1, 1);
  EXPECT_TRUE(DecodeOk(d, Ipv4Template(tmpl).Finish(), kNow + 11'000).empty());
  EXPECT_EQ(d.stats().pending_dropped, 1u);
  EXPECT_EQ(d.pending_bytes(), 0u);
}

TEST(DecoderTest, HeldDataStaysWithinTheByteBudget) {
  DecoderOptions o;
  o.pending_max_bytes = 100;
  FlowDecoder d(o);
  for (int i = 0; i < 5; ++i) {
    ExportBuilder data(Version::kIpfix, kExportSecs, 0, 1);
    data.BeginSet(300);
    Ipv4Record(data, "198.19.0.1", "198.18.0.2", 80, 100, 1).EndSet();  // 50 bytes
    DecodeOk(d, data.Finish());
  }
  EXPECT_EQ(d.stats().pending_held, 2u);
  EXPECT_EQ(d.stats().pending_dropped, 3u);
  EXPECT_LE(d.pending_bytes(), 100u);
}

TEST(DecoderTest, TemplatesAreKeptPerExporterAndDomain) {
  FlowDecoder d;
  ExportBuilder t(Version::kIpfix, kExportSecs, 0, 1);
  DecodeOk(d, Ipv4Template(t).Finish());
  ExportBuilder other_domain(Version::kIpfix, kExportSecs, 0, 2);
  other_domain.BeginSet(256);
  Ipv4Record(other_domain, "198.19.0.1", "198.18.0.2", 80, 1, 1).EndSet();
  EXPECT_TRUE(DecodeOk(d, other_domain.Finish()).empty());  // held: domain 2 has no template
  std::vector<FlowRecord> out;
  ExportBuilder same(Version::kIpfix, kExportSecs, 0, 1);
  same.BeginSet(256);
  Ipv4Record(same, "198.19.0.1", "198.18.0.2", 80, 1, 1).EndSet();
  ASSERT_TRUE(d.Decode(*ParseIpAddr("127.0.0.2"), same.Finish(), kNow, &out).ok());
  EXPECT_TRUE(out.empty());  // another exporter address
  EXPECT_EQ(d.exporters(), 3u);
}

TEST(DecoderTest, WithdrawnTemplateNoLongerDecodes) {
  FlowDecoder d;
  ExportBuilder t(Version::kIpfix, kExportSecs, 0, 1);
  DecodeOk(d, Ipv4Template(t).Withdraw(256).Finish());
  EXPECT_EQ(d.stats().templates_withdrawn, 1u);
  ExportBuilder data(Version::kIpfix, kExportSecs, 0, 1);
  data.BeginSet(256);
  Ipv4Record(data, "198.19.0.1", "198.18.0.2", 80, 1, 1).EndSet();
  EXPECT_TRUE(DecodeOk(d, data.Finish()).empty());
  EXPECT_EQ(d.stats().pending_held, 1u);
}

TEST(DecoderTest, WithdrawAllRemovesEveryDataTemplate) {
  FlowDecoder d;
  ExportBuilder t(Version::kIpfix, kExportSecs, 0, 1);
  Ipv4Template(t, 256);
  Ipv4Template(t, 257);
  DecodeOk(d, t.Withdraw(2).Finish());
  EXPECT_EQ(d.stats().templates_withdrawn, 2u);
}

TEST(DecoderTest, RedefinedTemplateReplacesTheOldAndAnInvalidOneRemovesIt) {
  FlowDecoder d;
  ExportBuilder t(Version::kIpfix, kExportSecs, 0, 1);
  DecodeOk(d, Ipv4Template(t).Finish());
  // Redefined: only the two addresses and a 4-byte byte count.
  ExportBuilder r(Version::kIpfix, kExportSecs, 0, 1);
  r.Template(256, {{8, 4}, {12, 4}, {1, 4}})
      .BeginSet(256)
      .Ip("198.19.0.5")
      .Ip("198.18.0.6")
      .U(77, 4)
      .EndSet();
  auto flows = DecodeOk(d, r.Finish());
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].bytes, 77u);
  // An invalid redefinition (a field count past the set): the old meaning goes too.
  ExportBuilder bad(Version::kIpfix, kExportSecs, 0, 1);
  bad.BeginSet(2).U(256, 2).U(40, 2).U(8, 2).U(4, 2).EndSet();
  std::vector<FlowRecord> out;
  EXPECT_EQ(d.Decode(kExporter, bad.Finish(), kNow, &out).kind(), ErrorKind::kParse);
  ExportBuilder data(Version::kIpfix, kExportSecs, 0, 1);
  data.BeginSet(256).Ip("198.19.0.5").Ip("198.18.0.6").U(77, 4).EndSet();
  EXPECT_TRUE(DecodeOk(d, data.Finish()).empty());
}

TEST(DecoderTest, TemplatesExpireAfterTheirLifetime) {
  DecoderOptions o;
  o.template_lifetime_ms = 60'000;
  FlowDecoder d(o);
  ExportBuilder t(Version::kIpfix, kExportSecs, 0, 1);
  DecodeOk(d, Ipv4Template(t).Finish());
  ExportBuilder data(Version::kIpfix, kExportSecs, 0, 1);
  data.BeginSet(256);
  Ipv4Record(data, "198.19.0.1", "198.18.0.2", 80, 1, 1).EndSet();
  EXPECT_EQ(DecodeOk(d, data.Finish(), kNow + 59'000).size(), 1u);
  EXPECT_TRUE(DecodeOk(d, data.Finish(), kNow + 61'000).empty());
  EXPECT_EQ(d.stats().templates_expired, 1u);
}

TEST(DecoderTest, EnterpriseAndVariableLengthFieldsAreSkipped) {
  FlowDecoder d;
  ExportBuilder b(Version::kIpfix, kExportSecs, 0, 1);
  b.Template(256, {{8, 4}, {100, 65535, 9}, {12, 4}, {200, 3, 6871}, {1, 4}, {82, 65535}})
      .BeginSet(256)
      .Ip("198.19.0.1")
      .U(3, 1)
      .Raw({1, 2, 3})
      .Ip("198.18.0.2")
      .Raw({9, 9, 9})
      .U(10, 4)
      .U(255, 1)
      .U(300, 2);
  for (int i = 0; i < 300; ++i) b.U(0x41, 1);  // a 300-byte variable field, 3-byte prefix
  b.Ip("198.19.0.1").U(0, 1).Ip("198.18.0.2").Raw({0, 0, 0}).U(20, 4).U(0, 1).EndSet();
  auto flows = DecodeOk(d, b.Finish());
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0].bytes, 10u);
  EXPECT_EQ(flows[1].bytes, 20u);
  EXPECT_EQ(flows[1].dst.ToString(), "198.18.0.2");
}

TEST(DecoderTest, DecodesIpv6Records) {
  FlowDecoder d;
  ExportBuilder b(Version::kV9, kExportSecs, 0, 1, 10'000);
  b.Template(256, {{27, 16}, {28, 16}, {7, 2}, {11, 2}, {4, 1}, {1, 4}, {2, 4}})
      .BeginSet(256)
      .Ip("2001:2::1")
      .Ip("2001:2::80")
      .U(50000, 2)
      .U(443, 2)
      .U(6, 1)
      .U(900, 4)
      .U(9, 4)
      .EndSet();
  auto flows = DecodeOk(d, b.Finish());
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].src.family, Family::kIpv6);
  EXPECT_EQ(flows[0].dst.ToString(), "2001:2::80");
  EXPECT_EQ(flows[0].dst_port, 443);
}

TEST(DecoderTest, OptionsSamplingScalesLaterRecords) {
  FlowDecoder d;
  ExportBuilder b(Version::kV9, kExportSecs, 0, 1, 10'000);
  // Sampler 5 samples 1 in 100; records name their sampler with FLOW_SAMPLER_ID (48).
  b.OptionsTemplate(300, {{1, 4}}, {{48, 1}, {34, 4}, {35, 1}})
      .BeginSet(300)
      .U(0, 4)
      .U(5, 1)
      .U(100, 4)
      .U(2, 1)
      .EndSet()
      .Template(256, {{8, 4}, {12, 4}, {1, 4}, {2, 4}, {48, 1}})
      .BeginSet(256)
      .Ip("198.19.0.1")
      .Ip("198.18.0.2")
      .U(10, 4)
      .U(1, 4)
      .U(5, 1)
      .EndSet();
  auto flows = DecodeOk(d, b.Finish());
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].bytes, 1000u);
  EXPECT_EQ(flows[0].packets, 100u);
  EXPECT_EQ(d.stats().option_records, 1u);
}

TEST(DecoderTest, IpfixPacketIntervalAndSpaceGiveTheRate) {
  // 1:500 as interval 1, space 499 (akvorado#1189), for the whole exporter.
  FlowDecoder d;
  ExportBuilder b(Version::kIpfix, kExportSecs, 0, 1);
  b.OptionsTemplate(300, {{149, 4}}, {{305, 4}, {306, 4}})
      .BeginSet(300)
      .U(1, 4)
      .U(1, 4)
      .U(499, 4)
      .EndSet()
      .Template(256, {{8, 4}, {12, 4}, {1, 4}})
      .BeginSet(256)
      .Ip("198.19.0.1")
      .Ip("198.18.0.2")
      .U(3, 4)
      .EndSet();
  auto flows = DecodeOk(d, b.Finish());
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].bytes, 1500u);
  EXPECT_EQ(flows[0].sampling, 500u);
}

TEST(DecoderTest, IpfixRelativeTimesUseSystemInitTimeOrEndAtTheExport) {
  FlowDecoder d;
  const uint64_t init_ms = uint64_t{kExportSecs} * 1000 - 3'600'000;
  ExportBuilder b(Version::kIpfix, kExportSecs, 0, 1);
  b.Template(256, {{8, 4}, {12, 4}, {1, 4}, {22, 4}, {21, 4}})
      .BeginSet(256)
      .Ip("198.19.0.1")
      .Ip("198.18.0.2")
      .U(1, 4)
      .U(1'000, 4)
      .U(4'000, 4)
      .EndSet();
  auto flows = DecodeOk(d, b.Finish());
  ASSERT_EQ(flows.size(), 1u);  // no systemInitTimeMilliseconds yet
  EXPECT_EQ(flows[0].end_ms, int64_t{kExportSecs} * 1000);
  EXPECT_EQ(flows[0].end_ms - flows[0].start_ms, 3'000);

  ExportBuilder o(Version::kIpfix, kExportSecs, 1, 1);
  o.OptionsTemplate(301, {{149, 4}}, {{160, 8}})
      .BeginSet(301)
      .U(1, 4)
      .U(init_ms, 8)
      .EndSet()
      .BeginSet(256)
      .Ip("198.19.0.1")
      .Ip("198.18.0.2")
      .U(1, 4)
      .U(1'000, 4)
      .U(4'000, 4)
      .EndSet();
  flows = DecodeOk(d, o.Finish());
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].start_ms, static_cast<int64_t>(init_ms) + 1'000);
  EXPECT_EQ(flows[0].end_ms, static_cast<int64_t>(init_ms) + 4'000);
}

TEST(DecoderTest, IpfixNtpAndDeltaTimes) {
  FlowDecoder d;
  const uint64_t ntp_secs = uint64_t{kExportSecs} + 2'208'988'800u;
  ExportBuilder b(Version::kIpfix, kExportSecs, 0, 1);
  b.Template(256, {{8, 4}, {12, 4}, {156, 8}, {159, 4}})
      .BeginSet(256)
      .Ip("198.19.0.1")
      .Ip("198.18.0.2")
      .U((ntp_secs - 9) << 32 | 0x80000000u, 8)
      .U(2'000'000, 4)
      .EndSet();
  auto flows = DecodeOk(d, b.Finish());
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].start_ms, (int64_t{kExportSecs} - 9) * 1000 + 500);
  EXPECT_EQ(flows[0].end_ms, int64_t{kExportSecs} * 1000 - 2'000);
}

TEST(DecoderTest, ReverseCountersAndTotalsWhenNoDeltas) {
  FlowDecoder d;
  ExportBuilder b(Version::kIpfix, kExportSecs, 0, 1);
  b.Template(256, {{8, 4}, {12, 4}, {85, 8}, {86, 8}, {1, 8, kReversePen}, {2, 4, kReversePen}})
      .BeginSet(256)
      .Ip("198.19.0.1")
      .Ip("198.18.0.2")
      .U(5000, 8)
      .U(5, 8)
      .U(70000, 8)
      .U(60, 4)
      .EndSet();
  auto flows = DecodeOk(d, b.Finish());
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].bytes, 5000u);
  EXPECT_EQ(flows[0].packets, 5u);
  EXPECT_EQ(flows[0].rev_bytes, 70000u);
  EXPECT_EQ(flows[0].rev_packets, 60u);
}

TEST(DecoderTest, SequenceGapsAreCountedAsLost) {
  FlowDecoder d;
  auto v5 = [](uint32_t seq) {
    return BuildV5(kExportSecs, 1000, seq, 0,
                   {{"198.19.0.1", "198.18.0.2", 1, 2}, {"198.19.0.1", "198.18.0.2", 1, 3}});
  };
  DecodeOk(d, v5(0));
  DecodeOk(d, v5(2));   // as expected
  DecodeOk(d, v5(10));  // 6 records lost
  DecodeOk(d, v5(3));   // a step back: a restart, not a loss
  EXPECT_EQ(d.stats().lost_records, 6u);
}

TEST(DecoderTest, ZeroLengthSetsAndPaddingAreNotErrors) {
  FlowDecoder d;
  ExportBuilder b(Version::kIpfix, kExportSecs, 0, 1);
  Ipv4Template(b).BeginSet(256).EndSet().BeginSet(256);
  Ipv4Record(b, "198.19.0.1", "198.18.0.2", 80, 1, 1).Raw({0, 0, 0}).EndSet();  // 3 bytes padding
  auto flows = DecodeOk(d, b.Finish());
  EXPECT_EQ(flows.size(), 1u);
}

// Damaged datagrams: each is refused with kParse, nothing decoded from what follows the damage.
TEST(DecoderTest, RefusesDamagedDatagrams) {
  ExportBuilder good(Version::kIpfix, kExportSecs, 0, 1);
  Ipv4Template(good).BeginSet(256);
  Ipv4Record(good, "198.19.0.1", "198.18.0.2", 80, 1, 1).EndSet();
  const std::vector<uint8_t> ipfix = good.Finish();
  struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
  };
  std::vector<Case> cases = {
      {"empty", {}},
      {"one byte", {0}},
      {"unknown version", {0, 7, 0, 0}},
      {"v5 header cut", {0, 5, 0, 1, 0, 0}},
      {"v5 count past the datagram", BuildV5(1, 1, 0, 0, {})},
      {"v9 header cut", {0, 9, 0, 1, 0, 0, 0, 0}},
      {"ipfix header cut", {0, 10, 0, 16, 0}},
      {"ipfix length past the datagram", ipfix},
      {"ipfix length below the header", ipfix},
      {"set length below 4", ipfix},
      {"set length past the message", ipfix},
      {"variable-length field past the set", {}},
  };
  cases[4].bytes[3] = 30;  // 30 records announced, none there
  cases[7].bytes[3] = static_cast<uint8_t>(ipfix.size() + 1);
  cases[8].bytes[3] = 8;
  cases[9].bytes[16 + 3] = 2;
  cases[10].bytes[16 + 2] = 0x40;
  ExportBuilder cut(Version::kIpfix, kExportSecs, 0, 1);
  cut.Template(256, {{8, 4}, {12, 4}, {82, 65535}})
      .BeginSet(256)
      .Ip("198.19.0.1")
      .Ip("198.18.0.2")
      .U(200, 1)
      .Raw({1, 2, 3, 4, 5})
      .EndSet();
  cases[11].bytes = cut.Finish();
  for (const Case& c : cases) {
    FlowDecoder d;
    std::vector<FlowRecord> out;
    EXPECT_EQ(d.Decode(kExporter, c.bytes, kNow, &out).kind(), ErrorKind::kParse) << c.what;
    EXPECT_TRUE(out.empty()) << c.what;
    EXPECT_EQ(d.stats().bad_packets, 1u) << c.what;
  }
}

TEST(DecoderTest, TooManyExportersAreRefusedNotGrown) {
  DecoderOptions o;
  o.max_exporters = 2;
  FlowDecoder d(o);
  ExportBuilder t(Version::kIpfix, kExportSecs, 0, 1);
  const auto msg = Ipv4Template(t).Finish();
  std::vector<FlowRecord> out;
  for (const char* a : {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) {
    (void)d.Decode(*ParseIpAddr(a), msg, kNow, &out);
  }
  EXPECT_EQ(d.exporters(), 2u);
  EXPECT_EQ(d.stats().exporters_refused, 1u);
  d.Expire(kNow + o.template_lifetime_ms + 1);
  EXPECT_EQ(d.exporters(), 0u);
}

}  // namespace
}  // namespace portatlas::flow
