#include "scan/upload/task_wire.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <vector>

namespace portatlas::scan {
namespace {

ScanRecord FullRecord() {
  ScanRecord r;
  r.ip = *ParseIpAddr("2001:2::10");
  r.proto = Proto::kUdp;
  r.port = 161;
  r.state = "open|filtered";
  r.reason = "udp-response";
  r.reason_ttl = 63;
  r.updated_at_ms = 1700000000123;
  r.service = "snmp";
  r.product = "net-snmp";
  r.version = "5.9";
  r.info = "SNMPv3";
  r.cpe = "cpe:/a:net-snmp:net-snmp:5.9";
  r.tls = R"({"version":"TLSv1.3","chain":[1,2]})";
  r.banner_hash = std::string(64, 'f');
  return r;
}

TEST(TaskWireTest, RecordsBodyCarriesEveryField) {
  const std::vector<ScanRecord> records = {FullRecord()};
  rapidjson::Document doc;
  doc.Parse(RecordsBody(records).c_str());
  ASSERT_FALSE(doc.HasParseError());
  const auto& r = doc["records"][0];
  EXPECT_STREQ(r["ip"].GetString(), "2001:2::10");
  EXPECT_STREQ(r["protocol"].GetString(), "udp");
  EXPECT_EQ(r["port"].GetInt(), 161);
  EXPECT_STREQ(r["state"].GetString(), "open|filtered");
  EXPECT_STREQ(r["reason"].GetString(), "udp-response");
  EXPECT_EQ(r["reason_ttl"].GetInt(), 63);
  EXPECT_EQ(r["updated_at"].GetInt64(), 1700000000123);
  EXPECT_STREQ(r["service"].GetString(), "snmp");
  EXPECT_STREQ(r["product"].GetString(), "net-snmp");
  EXPECT_STREQ(r["version"].GetString(), "5.9");
  EXPECT_STREQ(r["info"].GetString(), "SNMPv3");
  EXPECT_STREQ(r["cpe"].GetString(), "cpe:/a:net-snmp:net-snmp:5.9");
  ASSERT_TRUE(r["tls"].IsObject());
  EXPECT_STREQ(r["tls"]["version"].GetString(), "TLSv1.3");
  EXPECT_EQ(r["banner_hash"].GetStringLength(), 64u);
}

TEST(TaskWireTest, RecordsBodyLeavesOutEmptyFields) {
  ScanRecord r;
  r.ip = *ParseIpAddr("198.18.0.1");
  r.port = 0;
  r.state = "closed";
  EXPECT_EQ(RecordsBody(std::vector<ScanRecord>{r}),
            R"({"records":[{"ip":"198.18.0.1","protocol":"tcp","port":0,"state":"closed"}]})");
  EXPECT_EQ(RecordsBody({}), R"({"records":[]})");
}

TEST(TaskWireTest, TlsThatIsNotAnObjectGoesAsAString) {
  for (const char* tls : {"TLSv1.3", "[1]", "{\"a\":", "\"x\""}) {
    ScanRecord r = FullRecord();
    r.tls = tls;
    rapidjson::Document doc;
    doc.Parse(RecordsBody(std::vector<ScanRecord>{r}).c_str());
    ASSERT_FALSE(doc.HasParseError()) << tls;
    ASSERT_TRUE(doc["records"][0]["tls"].IsString()) << tls;
    EXPECT_STREQ(doc["records"][0]["tls"].GetString(), tls);
  }
}

TEST(TaskWireTest, CreateAndProgressBodies) {
  TaskSpec spec{"nightly \"lab\"", TaskKind::kImportMasscan, "198.18.0.0/15", "1-1024", 7};
  EXPECT_EQ(CreateTaskBody(spec),
            R"({"name":"nightly \"lab\"","kind":"import-masscan","targets":"198.18.0.0/15",)"
            R"("ports":"1-1024","probes_total":7})");
  EXPECT_EQ(ProgressBody(5, 10, "", ""), R"({"probes_done":5,"probes_total":10})");
  EXPECT_EQ(ProgressBody(UINT64_MAX, 10, "failed", "boom"),
            R"({"probes_done":9223372036854775807,"probes_total":10,"status":"failed",)"
            R"("error":"boom"})");
  EXPECT_EQ(TaskKindName(TaskKind::kConnect), "connect");
  EXPECT_EQ(TaskKindName(TaskKind::kSyn), "syn");
  EXPECT_EQ(TaskKindName(TaskKind::kUdp), "udp");
  EXPECT_EQ(TaskKindName(TaskKind::kImportNmap), "import-nmap");
}

TEST(TaskWireTest, TaskIdOfAnswers) {
  EXPECT_EQ(*ParseTaskId(R"({"task_id":42,"name":"x"})"), 42);
  for (const char* bad :
       {"", "{", "[]", R"({"task_id":"42"})", R"({"task_id":0})", R"({"id":42})"}) {
    auto id = ParseTaskId(bad);
    ASSERT_FALSE(id) << bad;
    EXPECT_EQ(id.error().kind(), ErrorKind::kParse);
  }
}

TEST(TaskWireTest, RefusedRecordIndex) {
  EXPECT_EQ(RefusedRecordIndex(
                R"({"error_code":"PA.0001","error_msg":"records[12].port: must be 0-65535"})"),
            12u);
  EXPECT_EQ(RefusedRecordIndex(R"({"error_msg":"records[0]: must be an object"})"), 0u);
  for (const char* none :
       {"", "x", R"({"error_msg":"records: at most 10000"})", R"({"error_msg":"records[]"})",
        R"({"error_msg":"records[x]"})", R"({"error_msg":"records[3"})",
        R"({"error_msg":"body: is not JSON"})", R"({"error_msg":7})",
        R"({"error_msg":"records[99999999999999999999999].port"})"}) {
    EXPECT_FALSE(RefusedRecordIndex(none).has_value()) << none;
  }
}

TEST(TaskWireTest, ErrorSummary) {
  EXPECT_EQ(ErrorSummary(401, R"({"error_code":"APIGW.0301","error_msg":"bad token"})"),
            "401 APIGW.0301: bad token");
  EXPECT_EQ(ErrorSummary(502, "<html>\n</html>"), "502: <html>?</html>");
  EXPECT_EQ(ErrorSummary(500, ""), "500");
  EXPECT_EQ(ErrorSummary(500, std::string(300, 'x')).size(), 5u + 200u + 3u);
}

}  // namespace
}  // namespace portatlas::scan
