#include "store/sqlite/row_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace portatlas::store {
namespace {

HostRow Host() {
  HostRow h;
  h.project = "p";
  h.host_id = "h";
  h.eps = "e";
  return h;
}

TEST(RowCodecTest, PortsRoundTrip) {
  PortRow r;
  r.key = {18446744073709551615u, "::1", 65535, SockType::kUdp6};
  r.pid = 2147483647;
  r.sharers = 3;
  r.path = "/usr/bin/a \"quoted\" \xc3\xa9";
  r.comm = "a";
  r.exe_deleted = true;
  r.container_id = std::string(64, 'c');
  r.container_runtime = "docker";
  r.service = "x";
  r.status = RiskStatus::kDanger;
  r.first_seen_ms = 1;
  r.last_seen_ms = 9007199254740993;
  std::vector<PortRow> out;
  ASSERT_TRUE(DecodePorts(EncodePorts(std::vector<PortRow>{r}), Host(), &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, r.key);
  EXPECT_EQ(out[0].path, r.path);
  EXPECT_EQ(out[0].exe_deleted, true);
  EXPECT_EQ(out[0].container_id, r.container_id);
  EXPECT_EQ(out[0].status, RiskStatus::kDanger);
  EXPECT_EQ(out[0].last_seen_ms, r.last_seen_ms);
  EXPECT_EQ(out[0].project, "p");
  EXPECT_EQ(out[0].eps, "e");
}

TEST(RowCodecTest, EventsRoundTrip) {
  PortEvent e;
  e.kind = EventKind::kChange;
  e.key = {7, "0.0.0.0", 22, SockType::kTcp};
  e.pid = 5;
  e.path = "/new";
  e.old_path = "/old";
  e.status = RiskStatus::kNormal;
  e.old_status = RiskStatus::kDanger;
  std::vector<PortEvent> out;
  ASSERT_TRUE(DecodeEvents(EncodeEvents(std::vector<PortEvent>{e}), "p", "h", 42, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, EventKind::kChange);
  EXPECT_EQ(out[0].old_path, "/old");
  EXPECT_EQ(out[0].old_status, RiskStatus::kDanger);
  EXPECT_EQ(out[0].at_ms, 42);
  EXPECT_EQ(out[0].host_id, "h");
}

// Damaged stored values: each is an error, and nothing is appended for the bad element.
TEST(RowCodecTest, DamagedPortsAreErrors) {
  const std::string good = R"([0,"a",1,0,1,1,"","",0,"","","",0,0,0])";
  const std::string cases[] = {
      "",                                                      // empty
      "[",                                                     // truncated
      "[" + good.substr(0, good.size() - 3),                   // truncated element
      "{}",                                                    // not an array
      "[1]",                                                   // element not an array
      R"([[0,"a",1,0,1,1,"","",0,"","","",0,0]])",             // 14 values
      R"([[0,"a",1,0,1,1,"","",0,"","","",0,0,0,0]])",         // 16 values
      R"([[-1,"a",1,0,1,1,"","",0,"","","",0,0,0]])",          // negative netns
      R"([[0,"a",65536,0,1,1,"","",0,"","","",0,0,0]])",       // port out of range
      R"([[0,"a",1,4,1,1,"","",0,"","","",0,0,0]])",           // unknown type
      R"([[0,"a",1,0,1,1,"","",2,"","","",0,0,0]])",           // exe_deleted not 0/1
      R"([[0,"a",1,0,1,1,"","",0,"","","",3,0,0]])",           // unknown status
      R"([[0,"a",1,0,3000000000,1,"","",0,"","","",0,0,0]])",  // pid beyond int
      R"([[0,1,1,0,1,1,"","",0,"","","",0,0,0]])",             // laddr not a string
      R"([[0,"a",1.5,0,1,1,"","",0,"","","",0,0,0]])",         // port not an integer
      "[" + good + "," + good + "] trailing",                  // garbage after the array
  };
  for (const std::string& c : cases) {
    std::vector<PortRow> out;
    EXPECT_FALSE(DecodePorts(c, Host(), &out).ok()) << c;
  }
  std::vector<PortRow> out;
  EXPECT_TRUE(DecodePorts("[" + good + "]", Host(), &out).ok());
  // Oversized: a large set decodes (no fixed limit), and its size is kept.
  std::string big = "[";
  for (int i = 0; i < 20000; ++i) big += (i ? "," : "") + good;
  big += "]";
  out.clear();
  ASSERT_TRUE(DecodePorts(big, Host(), &out).ok());
  EXPECT_EQ(out.size(), 20000u);
}

TEST(RowCodecTest, DamagedEventsAreErrors) {
  for (const std::string c : {"", "[[0,1,\"a\",1,0,1,\"\",\"\",0,\"\",\"\"]]",
                              "[[3,1,\"a\",1,0,1,\"\",\"\",0,\"\",\"\",0]]", "[null]", "nope"}) {
    std::vector<PortEvent> out;
    EXPECT_FALSE(DecodeEvents(c, "p", "h", 0, &out).ok()) << c;
  }
}

}  // namespace
}  // namespace portatlas::store
