#include "core/traffic_json.h"

#include <gtest/gtest.h>

#include "core/distinct_count.h"

namespace portatlas {
namespace {

TrafficRecord Sample() {
  TrafficRecord r;
  r.ip = *ParseIpAddr("198.18.0.2");
  r.proto = Proto::kTcp;
  r.port = 443;
  r.bucket_ms = 1'765'000'800'000;
  r.bytes_in = 1200;
  r.bytes_out = 9000;
  r.packets_in = 10;
  r.packets_out = 9;
  r.flows = 2;
  DistinctCount c;
  c.Add(*ParseIpAddr("198.19.0.1"));
  r.sources = c.Serialize();
  r.protocols = {{"TLS", 10200}};
  r.unknown = {{"no_payload", 1}};
  return r;
}

TEST(TrafficJsonTest, BatchesRoundTrip) {
  TrafficBatch b{"collector-1", 17, {Sample(), Sample()}};
  b.records[1].ip = *ParseIpAddr("2001:2::5");
  b.records[1].proto = Proto::kUdp;
  auto back = ParseTrafficBatch(TrafficBatchJson(b));
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->collector, "collector-1");
  EXPECT_EQ(back->batch, 17u);
  ASSERT_EQ(back->records.size(), 2u);
  EXPECT_EQ(TrafficBatchJson(*back), TrafficBatchJson(b));
}

TEST(TrafficJsonTest, RefusesBadBatchesNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "body"},
      {"[]", "body"},
      {R"({"batch":1,"records":[]})", "collector"},
      {R"({"collector":"a b","batch":1,"records":[]})", "collector"},
      {R"({"collector":"c","batch":-1,"records":[]})", "batch"},
      {R"({"collector":"c","batch":1})", "records"},
      {R"({"collector":"c","batch":1,"records":[1]})", "records[0]"},
      {R"({"collector":"c","batch":1,"records":[{"ip":"x","protocol":"tcp","port":1,"hour":0}]})",
       "records[0].ip"},
      {R"({"collector":"c","batch":1,"records":[{"ip":"198.18.0.1","protocol":"icmp","port":1,"hour":0}]})",
       "records[0].protocol"},
      {R"({"collector":"c","batch":1,"records":[{"ip":"198.18.0.1","protocol":"tcp","port":70000,"hour":0}]})",
       "records[0].port"},
      {R"({"collector":"c","batch":1,"records":[{"ip":"198.18.0.1","protocol":"tcp","port":1,"hour":5}]})",
       "records[0].hour"},
      {R"({"collector":"c","batch":1,"records":[{"ip":"198.18.0.1","protocol":"tcp","port":1,"hour":0,"bytes_in":-3}]})",
       "records[0].bytes_in"},
      {R"({"collector":"c","batch":1,"records":[{"ip":"198.18.0.1","protocol":"tcp","port":1,"hour":0,"sources":"e:12"}]})",
       "records[0].sources"},
      {R"({"collector":"c","batch":1,"records":[{"ip":"198.18.0.1","protocol":"tcp","port":1,"hour":0,"protocols":{"":1}}]})",
       "records[0].protocols"},
      {R"({"collector":"c","batch":1,"records":[{"ip":"198.18.0.1","protocol":"tcp","port":1,"hour":0,"unknown":{"x":"1"}}]})",
       "records[0].unknown"},
  };
  for (const auto& [body, field] : cases) {
    auto r = ParseTrafficBatch(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument) << body;
    EXPECT_EQ(r.error().message().rfind(field, 0), 0u) << r.error().message();
  }
  std::string many = R"({"collector":"c","batch":1,"records":[)";
  for (size_t i = 0; i <= kMaxTrafficRecordsPerBatch; ++i) many += (i ? ",{}" : "{}");
  EXPECT_FALSE(ParseTrafficBatch(many + "]}"));
}

TEST(TrafficJsonTest, MergeAddsCountersNamesAndSources) {
  TrafficRecord a = Sample();
  TrafficRecord b = Sample();
  DistinctCount other;
  other.Add(*ParseIpAddr("198.19.0.9"));
  b.sources = other.Serialize();
  b.protocols = {{"HTTP", 5}, {"TLS", 1}};
  ASSERT_TRUE(MergeTraffic(&a, b).ok());
  EXPECT_EQ(a.bytes_in, 2400u);
  EXPECT_EQ(a.flows, 4u);
  EXPECT_EQ(a.protocols, (NamedCounts{{"HTTP", 5}, {"TLS", 10201}}));
  EXPECT_EQ(a.unknown, (NamedCounts{{"no_payload", 2}}));
  EXPECT_EQ(DistinctCount::Parse(a.sources)->Estimate(), 2u);
  b.sources = "garbage";
  const TrafficRecord before = a;
  EXPECT_FALSE(MergeTraffic(&a, b).ok());
  EXPECT_EQ(a.bytes_in, before.bytes_in);
}

}  // namespace
}  // namespace portatlas
