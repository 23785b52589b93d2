#include "agent/report.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

namespace portatlas::agent {
namespace {

collect::ListeningSocket Sshd() {
  collect::ListeningSocket s;
  s.type = SockType::kTcp6;
  s.laddr = *ParseIpAddr("::");
  s.port = 22;
  s.uid = 0;
  s.inode = 123456789012;
  s.netns = 4026531840;
  s.pid = 811;
  s.sharers = 2;
  s.comm = "sshd";
  s.path = "/usr/sbin/sshd";
  return s;
}

collect::ListeningSocket Redis() {
  collect::ListeningSocket s;
  s.type = SockType::kUdp;
  s.laddr = *ParseIpAddr("127.0.0.1");
  s.port = 6379;
  s.uid = 999;
  s.inode = 42;
  s.netns = 4026532000;
  s.netns_name = "blue";
  s.pid = 0;
  s.exe_deleted = true;
  s.container_id = std::string(64, 'c');
  s.container_runtime = "docker";
  return s;
}

ReportHeader Header() {
  ReportHeader h;
  h.host_id = "0123456789abcdef0123456789abcdef";
  h.agent_id = std::string(64, 'a');
  h.host_name = "web-01";
  h.host_ip = "10.0.0.5";
  h.collected_at_ms = 1700000000123;
  h.seq = 1700000000123;
  return h;
}

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

TEST(ReportBodyTest, CarriesTheSnapshotFieldsOfTheIngestContract) {
  const ReportBody body = BuildReportBody(Header(), {Sshd(), Redis()});
  EXPECT_EQ(body.ports, 2u);
  EXPECT_EQ(body.dropped, 0u);
  const rapidjson::Document doc = Parse(body.json);
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["host_id"].GetString(), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(doc["agent_id"].GetString(), std::string(64, 'a'));
  EXPECT_STREQ(doc["host_name"].GetString(), "web-01");
  EXPECT_STREQ(doc["host_ip"].GetString(), "10.0.0.5");
  EXPECT_FALSE(doc.HasMember("enterprise_project_id"));
  ASSERT_TRUE(doc["collected_at"].IsInt64());
  EXPECT_EQ(doc["collected_at"].GetInt64(), 1700000000123);
  ASSERT_TRUE(doc["seq"].IsUint64());
  EXPECT_EQ(doc["seq"].GetUint64(), 1700000000123u);
  ASSERT_TRUE(doc["ports"].IsArray());
  ASSERT_EQ(doc["ports"].Size(), 2u);

  const auto& p0 = doc["ports"][0];
  EXPECT_STREQ(p0["laddr"].GetString(), "::");
  EXPECT_EQ(p0["port"].GetInt(), 22);
  EXPECT_STREQ(p0["type"].GetString(), "TCP6");
  EXPECT_EQ(p0["pid"].GetInt(), 811);
  EXPECT_STREQ(p0["path"].GetString(), "/usr/sbin/sshd");
  EXPECT_STREQ(p0["comm"].GetString(), "sshd");
  EXPECT_EQ(p0["sharers"].GetInt(), 2);
  EXPECT_EQ(p0["netns"].GetUint64(), 4026531840u);
  EXPECT_EQ(p0["inode"].GetUint64(), 123456789012u);
  EXPECT_EQ(p0["uid"].GetUint(), 0u);
  EXPECT_FALSE(p0["exe_deleted"].GetBool());
  EXPECT_STREQ(p0["service"].GetString(), "");
  EXPECT_STREQ(p0["status"].GetString(), "");

  const auto& p1 = doc["ports"][1];
  EXPECT_STREQ(p1["type"].GetString(), "UDP");
  EXPECT_STREQ(p1["laddr"].GetString(), "127.0.0.1");
  EXPECT_EQ(p1["pid"].GetInt(), 0);
  EXPECT_TRUE(p1["exe_deleted"].GetBool());
  EXPECT_STREQ(p1["netns_name"].GetString(), "blue");
  EXPECT_EQ(p1["container_id"].GetString(), std::string(64, 'c'));
  EXPECT_STREQ(p1["container_runtime"].GetString(), "docker");
  EXPECT_EQ(p1["uid"].GetUint(), 999u);
}

TEST(ReportBodyTest, EnterpriseProjectIsSentWhenSet) {
  ReportHeader h = Header();
  h.enterprise_project_id = "ep-1";
  const rapidjson::Document doc = Parse(BuildReportBody(h, {}).json);
  EXPECT_STREQ(doc["enterprise_project_id"].GetString(), "ep-1");
  EXPECT_EQ(doc["ports"].Size(), 0u);
}

TEST(ReportBodyTest, StringsAreEscaped) {
  ReportHeader h = Header();
  h.host_name = "we\"b\\01\n\x01 caf\xc3\xa9";
  collect::ListeningSocket s = Sshd();
  s.path = "/tmp/evil\"\n path";
  const rapidjson::Document doc = Parse(BuildReportBody(h, {s}).json);
  EXPECT_EQ(doc["host_name"].GetString(), h.host_name);
  EXPECT_EQ(doc["ports"][0]["path"].GetString(), s.path);
}

TEST(ReportBodyTest, PortsPastTheServerLimitAreLeftOutAndCounted) {
  std::vector<collect::ListeningSocket> sockets(kMaxReportPorts + 3, Sshd());
  const ReportBody body = BuildReportBody(Header(), sockets);
  EXPECT_EQ(body.ports, kMaxReportPorts);
  EXPECT_EQ(body.dropped, 3u);
  EXPECT_EQ(Parse(body.json)["ports"].Size(), kMaxReportPorts);
}

TEST(SummarizeIngestResponseTest, Table) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"results":[{"host_id":"h1","applied":true,"stale":false,"ports":12,"opened":1,)"
       R"("closed":0,"changed":0}]})",
       "applied=true stale=false ports=12 opened=1 closed=0 changed=0"},
      {R"({"results":[{"applied":false,"stale":true}]})", "applied=false stale=true"},
      {R"({"error_code":"PA.0001","error_msg":"seq: must be an integer"})",
       "PA.0001: seq: must be an integer"},
      {R"({"error_code":"APIGW.0301"})", "APIGW.0301"},
      {"", ""},
      {"Bad Gateway", "Bad Gateway"},
      {"<html>\r\n</html>", "<html>\\x0d\\x0a</html>"},
      {R"({"results":"x"})", R"({"results":"x"})"},
      {R"({"error_code":7})", R"({"error_code":7})"},
      {std::string(300, 'x'), std::string(200, 'x') + "..."},
  };
  for (const auto& [body, want] : cases) EXPECT_EQ(SummarizeIngestResponse(body), want) << body;
}

}  // namespace
}  // namespace portatlas::agent
