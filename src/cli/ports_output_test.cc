#include "cli/ports_output.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdio>
#include <cstdlib>

namespace portatlas::cli {
namespace {

collect::ListeningSocket Sock(const char* addr, uint16_t port, SockType t) {
  collect::ListeningSocket s;
  s.laddr = *ParseIpAddr(addr);
  s.port = port;
  s.type = t;
  return s;
}

// Captures what WriteJson writes.
std::string Json(const std::vector<PortRow>& rows) {
  char* data = nullptr;
  size_t size = 0;
  std::FILE* f = open_memstream(&data, &size);
  EXPECT_TRUE(WriteJson(rows, f));
  std::fclose(f);
  std::string out(data, size);
  std::free(data);
  return out;
}

TEST(PortsOutputTest, JsonUsesHssFieldNames) {
  collect::ListeningSocket a = Sock("0.0.0.0", 22, SockType::kTcp);
  a.pid = 812;
  a.sharers = 3;
  a.path = "/usr/sbin/sshd";
  a.comm = "sshd";
  a.netns = 4026531840u;
  collect::ListeningSocket b = Sock("::ffff:127.0.0.1", 6379, SockType::kTcp6);
  b.container_id = std::string(64, 'f');
  b.container_runtime = "docker";
  b.path = "/bin/\"quoted\"\\name";
  std::vector<PortRow> rows = {{&a, "ssh", inventory::RiskStatus::kNormal},
                               {&b, "", inventory::RiskStatus::kDanger}};
  const std::string json = Json(rows);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError());
  ASSERT_TRUE(doc.IsArray());
  ASSERT_EQ(doc.Size(), 2u);
  const auto& o = doc[0];
  EXPECT_STREQ(o["laddr"].GetString(), "0.0.0.0");
  EXPECT_EQ(o["port"].GetInt(), 22);
  EXPECT_STREQ(o["type"].GetString(), "TCP");
  EXPECT_EQ(o["pid"].GetInt(), 812);
  EXPECT_STREQ(o["path"].GetString(), "/usr/sbin/sshd");
  EXPECT_STREQ(o["container_id"].GetString(), "");
  EXPECT_STREQ(o["status"].GetString(), "normal");
  EXPECT_EQ(o["netns"].GetUint64(), 4026531840u);
  EXPECT_STREQ(o["comm"].GetString(), "sshd");
  EXPECT_STREQ(o["service"].GetString(), "ssh");
  EXPECT_EQ(o["sharers"].GetInt(), 3);
  EXPECT_STREQ(doc[1]["laddr"].GetString(), "::ffff:127.0.0.1");
  EXPECT_STREQ(doc[1]["type"].GetString(), "TCP6");
  EXPECT_STREQ(doc[1]["status"].GetString(), "danger");
  EXPECT_STREQ(doc[1]["path"].GetString(), "/bin/\"quoted\"\\name");
}

TEST(PortsOutputTest, EmptyJsonIsEmptyArray) { EXPECT_EQ(Json({}), "[]\n"); }

TEST(PortsOutputTest, ManyRowsStreamIntact) {
  std::vector<collect::ListeningSocket> socks;
  for (int i = 0; i < 5000; ++i) {
    socks.push_back(Sock("::1", static_cast<uint16_t>(i + 1), SockType::kUdp6));
    socks.back().path = std::string(100, 'p');
  }
  std::vector<PortRow> rows;
  for (const auto& s : socks) rows.push_back({&s, "", inventory::RiskStatus::kUnknow});
  rapidjson::Document doc;
  doc.Parse(Json(rows).c_str());
  ASSERT_FALSE(doc.HasParseError());
  ASSERT_EQ(doc.Size(), 5000u);
  EXPECT_EQ(doc[4999]["port"].GetInt(), 5000);
}

TEST(PortsOutputTest, TableShowsBracketedV6AndMarksOwnNetns) {
  collect::ListeningSocket a = Sock("::", 443, SockType::kTcp6);
  a.netns = 7;
  a.pid = 5;
  a.comm = "nginx";
  a.sharers = 4;
  collect::ListeningSocket b = Sock("127.0.0.1", 53, SockType::kUdp);
  b.netns = 9;
  b.netns_name = "blue";
  std::vector<PortRow> rows = {{&a, "https", inventory::RiskStatus::kNormal},
                               {&b, "domain", inventory::RiskStatus::kNormal}};
  const std::string t = RenderTable(rows, 7);
  EXPECT_NE(t.find("[::]:443"), std::string::npos) << t;
  EXPECT_NE(t.find("5/nginx (+3)"), std::string::npos) << t;
  EXPECT_NE(t.find("7*"), std::string::npos) << t;
  EXPECT_NE(t.find("blue"), std::string::npos) << t;
  EXPECT_NE(t.find("127.0.0.1:53"), std::string::npos) << t;
  EXPECT_NE(t.find("2 sockets"), std::string::npos) << t;
}

}  // namespace
}  // namespace portatlas::cli
