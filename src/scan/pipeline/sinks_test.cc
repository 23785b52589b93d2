#include "scan/pipeline/sinks.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace portatlas::scan {
namespace {

ScanRecord Record(const char* ip, uint16_t port, const char* state) {
  ScanRecord r;
  r.ip = *ParseIpAddr(ip);
  r.port = port;
  r.state = state;
  r.reason = "syn-ack";
  r.updated_at_ms = 1700000000000;
  return r;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(SinksTest, JsonLinesAreOneRecordEachAndAResumedScanAppends) {
  const std::string path = ::testing::TempDir() + "/sinks_test.jsonl";
  {
    auto sink = OpenJsonLinesSink(path, false);
    ASSERT_TRUE(sink.has_value());
    ScanRecord r = Record("198.18.0.7", 22, "open");
    r.service = "ssh";
    r.product = "He said \"hi\"\n";
    (*sink)->Write(r);
    ASSERT_TRUE((*sink)->Finish({}).ok());
  }
  {
    auto sink = OpenJsonLinesSink(path, true);
    ASSERT_TRUE(sink.has_value());
    (*sink)->Write(Record("2001:2::7", 443, "open"));
    ASSERT_TRUE((*sink)->Finish({}).ok());
  }
  const auto lines = Lines(Slurp(path));
  ASSERT_EQ(lines.size(), 2u);
  rapidjson::Document d;
  ASSERT_FALSE(d.Parse(lines[0].c_str()).HasParseError()) << lines[0];
  EXPECT_STREQ(d["ip"].GetString(), "198.18.0.7");
  EXPECT_STREQ(d["protocol"].GetString(), "tcp");
  EXPECT_EQ(d["port"].GetUint(), 22u);
  EXPECT_STREQ(d["product"].GetString(), "He said \"hi\"\n");
  EXPECT_EQ(d["updated_at"].GetInt64(), 1700000000000);
  ASSERT_FALSE(d.Parse(lines[1].c_str()).HasParseError());
  EXPECT_STREQ(d["ip"].GetString(), "2001:2::7");
  EXPECT_FALSE(d.HasMember("service"));  // unset fields are left out
  unlink(path.c_str());
}

TEST(SinksTest, AnUnwritablePathIsAnError) {
  EXPECT_FALSE(OpenJsonLinesSink("/nonexistent-dir/x.jsonl", false).has_value());
  EXPECT_FALSE(OpenNmapXmlSink("/nonexistent-dir/x.xml", {}, {}).has_value());
}

TEST(SinksTest, TextLinesNameTheServiceWhenDetectionFoundIt) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* mem = open_memstream(&buf, &len);
  auto sink = MakeTextSink(mem);
  ScanRecord r = Record("198.18.0.7", 22, "open");
  r.service = "ssh";
  r.product = "OpenSSH";
  r.version = "9.2p1";
  r.info = "protocol 2.0";
  sink->Write(r);
  sink->Write(Record("198.18.0.8", 53, "open|filtered"));
  ASSERT_TRUE(sink->Finish({}).ok());
  std::fclose(mem);
  EXPECT_EQ(std::string(buf, len),
            "198.18.0.7 22/tcp open ssh OpenSSH 9.2p1 (protocol 2.0)\n"
            "198.18.0.8 53/tcp open|filtered\n");
  std::free(buf);
}

TEST(SinksTest, NmapXmlListsClosedPortsAndCountsHosts) {
  const std::string path = ::testing::TempDir() + "/sinks_test.xml";
  NmapRunHeader header;
  header.args = "portatlas scan 198.18.0.7";
  header.scans.push_back({"connect", Proto::kTcp, {22, 23}});
  auto sink = OpenNmapXmlSink(path, header, {});
  ASSERT_TRUE(sink.has_value());
  EXPECT_TRUE((*sink)->WantsClosed());
  (*sink)->Write(Record("198.18.0.7", 22, "open"));
  (*sink)->Write(Record("198.18.0.7", 23, "closed"));
  ASSERT_TRUE((*sink)->Finish({1.5, 4, 1, false}).ok());
  const std::string xml = Slurp(path);
  EXPECT_NE(xml.find("portid=\"22\""), std::string::npos);
  EXPECT_NE(xml.find("state=\"closed\""), std::string::npos);
  EXPECT_NE(xml.find("up=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("down=\"3\""), std::string::npos);
  EXPECT_NE(xml.find("total=\"4\""), std::string::npos);
  unlink(path.c_str());
}

}  // namespace
}  // namespace portatlas::scan
