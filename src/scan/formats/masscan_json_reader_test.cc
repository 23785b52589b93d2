#include "scan/formats/masscan_json_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "scan/formats/formats_test_util.h"

namespace portatlas::scan {
namespace {

using testing::HugeInput;
using testing::ReadTestdata;

// "ip port/proto state reason ttl updated_at_ms service banner_hash[:8]" per record.
std::vector<std::string> Lines(const ImportedScan& scan) {
  std::vector<std::string> out;
  for (const ScanRecord& r : scan.records) {
    out.push_back(fmt::format("{} {}/{} {} {} {} {} {} {}", r.ip.ToString(), r.port,
                              ProtoName(r.proto), r.state, r.reason, r.reason_ttl, r.updated_at_ms,
                              r.service, r.banner_hash.substr(0, 8)));
  }
  return out;
}

const std::vector<std::string> kStatusFileLines = {
    "198.18.0.1 22/tcp open syn-ack 64 1700000000000  ",
    "198.18.0.2 80/tcp open syn-ack 63 1700000001000  ",
    "198.18.0.1 443/tcp open syn-ack 64 1700000002000  ",
    "2001:2::5 8080/tcp open syn-ack 64 1700000003000  ",
    "198.18.0.3 53/udp open none 64 1700000004000  ",
};

TEST(MasscanJsonReaderTest, ReadsTheArrayForm) {
  const auto scan = ReadMasscanJson(ReadTestdata("masscan-1.3.json"));
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(scan->scanner, "masscan");
  EXPECT_EQ(scan->args, "");
  EXPECT_EQ(scan->start_ms, 1700000000000);
  EXPECT_EQ(scan->end_ms, 1700000004000);
  EXPECT_EQ(scan->skipped, 0);
  EXPECT_EQ(Lines(*scan), kStatusFileLines);
}

TEST(MasscanJsonReaderTest, ToleratesTheTrailingCommaOfOlderVersions) {
  const auto scan = ReadMasscanJson(ReadTestdata("masscan-trailing-comma.json"));
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(Lines(*scan), kStatusFileLines);
}

TEST(MasscanJsonReaderTest, ReadsTheOldestFormWithItsFinishedLine) {
  const auto scan = ReadMasscanJson(ReadTestdata("masscan-1.0.json"));
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(Lines(*scan), kStatusFileLines);
}

TEST(MasscanJsonReaderTest, ReadsNdjson) {
  const auto scan = ReadMasscanJson(ReadTestdata("masscan.ndjson"));
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(Lines(*scan), (std::vector<std::string>{
                              "198.18.0.1 22/tcp open syn-ack 64 1700000001000 ssh aecc5074",
                              "2001:2::5 161/udp open none 64 1700000002000  ",
                          }));
}

TEST(MasscanJsonReaderTest, MergesBannersIntoTheirPorts) {
  const std::string text = ReadTestdata("masscan-banners.json");
  auto scan = ReadMasscanJson(text);
  ASSERT_TRUE(scan) << scan.error().ToString();
  // 22: ssh banner. 80: "title" first, then "http" names the service and gives the hash.
  // 443: "ssl" is the best there is; X509 does not replace it. 53/udp: a banner alone means open.
  EXPECT_EQ(Lines(*scan), (std::vector<std::string>{
                              "198.18.0.1 22/tcp open syn-ack 64 1700000001000 ssh aecc5074",
                              "198.18.0.1 80/tcp open syn-ack 64 1700000002000 http 18cc72dd",
                              "198.18.0.1 443/tcp open  0 1700000003000 ssl 0baba3e7",
                              "198.18.0.1 53/udp open  0 1700000004000 domain 3b3bd6e3",
                          }));
  EXPECT_EQ(scan->records[0].banner_hash,
            "aecc50748fc4fcf22950dbe2bd03093166a09499ff9961c4b7e47dfd041376f4");

  scan = ReadMasscanJson(text, {.keep_all_states = true});
  ASSERT_TRUE(scan);
  ASSERT_EQ(scan->records.size(), 5u);
  EXPECT_EQ(Lines(*scan)[4], "198.18.0.2 25/tcp closed rst-ack 64 1700000005000  ");
}

TEST(MasscanJsonReaderTest, BannerHashIsOfTheBytesMasscanSaw) {
  // masscan writes each unprintable byte as \u00XX: 0xff 0x00 'A'.
  const auto scan = ReadMasscanJson(
      R"([{"ip": "198.18.0.1", "timestamp": "1700000000", "ports": [{"port": 7, "proto": "tcp",)"
      R"( "service": {"name": "unknown", "banner": "\u00ff\u0000A"}}]}])");
  ASSERT_TRUE(scan) << scan.error().ToString();
  ASSERT_EQ(scan->records.size(), 1u);
  EXPECT_EQ(scan->records[0].service, "");  // "unknown" names no service
  EXPECT_EQ(scan->records[0].banner_hash,
            "0fa3e62511779f0398b77cad37b3cc4763bb96253b91fcd61500f8a979ad9920");
}

TEST(MasscanJsonReaderTest, OpenWinsOverClosedAndTheLatestTimeIsKept) {
  const auto scan = ReadMasscanJson(
      "{\"ip\":\"198.18.0.1\",\"timestamp\":\"1700000005\",\"port\":22,\"proto\":\"tcp\","
      "\"rec_type\":\"status\",\"data\":{\"status\":\"closed\",\"reason\":\"rst\",\"ttl\":64}}\n"
      "{\"ip\":\"198.18.0.1\",\"timestamp\":\"1700000001\",\"port\":22,\"proto\":\"tcp\","
      "\"rec_type\":\"status\",\"data\":{\"status\":\"open\",\"reason\":\"syn-ack\",\"ttl\":63}}\n"
      "{\"ip\":\"198.18.0.1\",\"timestamp\":\"1700000003\",\"port\":22,\"proto\":\"tcp\","
      "\"rec_type\":\"status\",\"data\":{\"status\":\"closed\",\"reason\":\"rst\",\"ttl\":64}}\n");
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(Lines(*scan),
            (std::vector<std::string>{"198.18.0.1 22/tcp open syn-ack 63 1700000005000  "}));
}

TEST(MasscanJsonReaderTest, EmptyOutputIsAnEmptyScan) {
  for (const char* text : {"", "\n", "[\n]\n", "[]"}) {
    const auto scan = ReadMasscanJson(text);
    ASSERT_TRUE(scan) << "'" << text << "': " << scan.error().ToString();
    EXPECT_TRUE(scan->records.empty());
    EXPECT_EQ(scan->start_ms, 0);
  }
}

TEST(MasscanJsonReaderTest, SkipsOtherProtocolsAndCountsThem) {
  const auto scan = ReadMasscanJson(
      R"([{"ip": "198.18.0.1", "timestamp": "1700000000", "ports": [)"
      R"({"port": 0, "proto": "icmp", "status": "open", "reason": "none", "ttl": 64},)"
      R"({"port": 38412, "proto": "sctp", "status": "open", "reason": "init-ack", "ttl": 64},)"
      R"({"port": 22, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64}]}])");
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(scan->records.size(), 1u);
  EXPECT_EQ(scan->skipped, 2);
}

TEST(MasscanJsonReaderTest, AcceptsNumericTimestampsAndPortsAtTheEdges) {
  const auto scan = ReadMasscanJson(
      R"([{"ip": "198.18.0.1", "timestamp": 1700000000, "ports": [)"
      R"({"port": 0, "proto": "tcp", "status": "open"}, {"port": 65535, "proto": "udp", "status": "open"}]}])");
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(Lines(*scan),
            (std::vector<std::string>{"198.18.0.1 0/tcp open  0 1700000000000  ",
                                      "198.18.0.1 65535/udp open  0 1700000000000  "}));
}

struct BadJson {
  const char* name;
  std::string text;
  const char* message;  // a substring of the error
};

std::string Obj(std::string_view ip, std::string_view port_fields) {
  return fmt::format(R"({{"ip": {}, "timestamp": "1700000000", "ports": [ {{{}}} ] }})", ip,
                     port_fields);
}
constexpr std::string_view kIp = R"("198.18.0.1")";
constexpr std::string_view kFields = R"("port": 22, "proto": "tcp", "status": "open")";

TEST(MasscanJsonReaderTest, RejectsMalformedInputWithLineNumbers) {
  const std::string real = ReadTestdata("masscan-1.3.json");
  const std::vector<BadJson> cases = {
      {"not json", "Discovered open port 22/tcp on 198.18.0.1\n",
       "masscan JSON: line 1: expected a JSON object"},
      {"truncated array", real.substr(0, real.rfind(']')), "line 11: truncated: the array has no"},
      {"truncated object", real.substr(0, real.size() / 2), "truncated: "},
      {"truncated ndjson", "{\"ip\":\"198.18.0.1\",\"port\":2", "line 1: truncated: "},
      {"text after array", real + "x", "text after the closing ']'"},
      {"leading comma", "[\n,\n" + Obj(kIp, kFields) + "\n]", "line 2: unexpected ','"},
      {"double comma", "[\n" + Obj(kIp, kFields) + ",\n,\n" + Obj(kIp, kFields) + "]",
       "line 3: unexpected ','"},
      {"array of numbers", "[1, 2]", "expected a JSON object or ']'"},
      {"bad json in object", "[\n{\"ip\": 198.18.0.1}\n]", "masscan JSON: line 2: "},
      {"ip not a string", "[" + Obj("3323068417", kFields) + "]",
       "\"ip\" is missing or not a string"},
      {"missing ip", R"([{"timestamp": "1", "ports": []}])", "\"ip\" is missing"},
      {"bad ip", "[" + Obj(R"("198.18.0.300")", kFields) + "]",
       "'198.18.0.300' is not an IP address"},
      {"ip with NUL", "[" + Obj(R"("198.18.0.1\u0000x")", kFields) + "]", "is not an IP address"},
      {"ports not an array", R"([{"ip": "198.18.0.1", "ports": {"port": 22}}])",
       "\"ports\" is not an array"},
      {"port entry not an object", R"([{"ip": "198.18.0.1", "ports": [22]}])", "not an object"},
      {"port as string", "[" + Obj(kIp, R"("port": "22", "proto": "tcp", "status": "open")") + "]",
       "\"port\" is not a number"},
      {"negative port", "[" + Obj(kIp, R"("port": -1, "proto": "tcp", "status": "open")") + "]",
       "\"port\" is out of range (0-65535)"},
      {"port too big", "[" + Obj(kIp, R"("port": 65536, "proto": "tcp", "status": "open")") + "]",
       "\"port\" is out of range (0-65535)"},
      {"fractional port", "[" + Obj(kIp, R"("port": 22.5, "proto": "tcp", "status": "open")") + "]",
       "\"port\" is out of range"},
      {"missing port", "[" + Obj(kIp, R"("proto": "tcp", "status": "open")") + "]",
       "\"port\" is missing"},
      {"proto not a string", "[" + Obj(kIp, R"("port": 22, "proto": 6, "status": "open")") + "]",
       "\"proto\" is missing or not a string"},
      {"unknown proto", "[" + Obj(kIp, R"("port": 22, "proto": "quic", "status": "open")") + "]",
       "unknown proto 'quic'"},
      {"unknown status", "[" + Obj(kIp, R"("port": 22, "proto": "tcp", "status": "up?")") + "]",
       "unknown status 'up?'"},
      {"status missing", "[" + Obj(kIp, R"("port": 22, "proto": "tcp")") + "]",
       "\"status\" is missing"},
      {"ttl too big",
       "[" + Obj(kIp, R"("port": 22, "proto": "tcp", "status": "open", "ttl": 256)") + "]",
       "\"ttl\" is not a number 0-255"},
      {"reason not a string",
       "[" + Obj(kIp, R"("port": 22, "proto": "tcp", "status": "open", "reason": 18)") + "]",
       "\"reason\" is not a string"},
      {"service not an object",
       "[" + Obj(kIp, R"("port": 22, "proto": "tcp", "service": "ssh")") + "]",
       "\"service\" is not an object"},
      {"banner not a string",
       "[" + Obj(kIp, R"("port": 22, "proto": "tcp", "service": {"name": "ssh", "banner": 1})") +
           "]",
       "\"banner\" is not a string"},
      {"bad timestamp", R"([{"ip": "198.18.0.1", "timestamp": "noon", "ports": []}])",
       "\"timestamp\" is not a time"},
      {"negative timestamp", R"([{"ip": "198.18.0.1", "timestamp": -1, "ports": []}])",
       "\"timestamp\" is not a time"},
      {"neither ports nor port", R"({"ip": "198.18.0.1", "timestamp": "1"})",
       "neither \"ports\" nor \"port\""},
      {"unknown rec_type",
       R"({"ip":"198.18.0.1","port":22,"proto":"tcp","rec_type":"os","data":{}})",
       "unknown rec_type 'os'"},
      {"ndjson data missing", R"({"ip":"198.18.0.1","port":22,"proto":"tcp","rec_type":"status"})",
       "\"data\" is missing or not an object"},
      {"not utf-8", "[{\"ip\": \"198.18.0.1\", \"x\": \"\xff\"}]", "Invalid encoding"},
      {"ndjson error line",
       "{\"ip\":\"198.18.0.1\",\"port\":1,\"proto\":\"tcp\",\"rec_type\":"
       "\"status\",\"data\":{\"status\":\"open\"}}\n\n{\"ip\":\"x\"}\n",
       "masscan JSON: line 3: 'x' is not an IP address"},
  };
  for (const BadJson& c : cases) {
    const auto r = ReadMasscanJson(c.text);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().kind(), ErrorKind::kParse) << c.name;
    EXPECT_NE(r.error().message().find(c.message), std::string::npos)
        << c.name << ": " << r.error().message();
  }
}

TEST(MasscanJsonReaderTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = R"([{"ip": "198.18.0.1", "x": )";
  deep += std::string(100000, '[');
  const auto r = ReadMasscanJson(deep);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("truncated"), std::string::npos) << r.error().message();
}

TEST(MasscanJsonReaderTest, RefusesOversizedInput) {
  const std::string text = ReadTestdata("masscan-1.3.json");
  auto r = ReadMasscanJson(text, {.max_input_bytes = text.size() - 1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);

  const HugeInput huge(kMaxImportBytes + 1);
  r = ReadMasscanJson(huge.view());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(r.error().message().find("1073741825 bytes"), std::string::npos);
}

}  // namespace
}  // namespace portatlas::scan
