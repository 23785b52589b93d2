#include "inventory/services_db.h"

#include <gtest/gtest.h>

namespace portatlas::inventory {
namespace {

TEST(ServicesDbTest, ParsesServicesFormat) {
  ServicesDb db = ServicesDb::Parse(
      "# Network services\n"
      "ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol\n"
      "domain\t\t53/tcp\n"
      "domain\t\t53/udp\n"
      "http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\n"
      "www-alt\t\t80/tcp\n"  // a second name for 80/tcp: the first one wins
      "sctp-thing\t9/sctp\n"
      "\n");
  EXPECT_EQ(db.Name(Proto::kTcp, 22), "ssh");
  EXPECT_EQ(db.Name(Proto::kUdp, 22), "");
  EXPECT_EQ(db.Name(Proto::kUdp, 53), "domain");
  EXPECT_EQ(db.Name(Proto::kTcp, 80), "http");
  EXPECT_EQ(db.size(), 4u);
  EXPECT_EQ(db.bad_lines(), 0);
}

TEST(ServicesDbTest, CountsBadLines) {
  ServicesDb db = ServicesDb::Parse(
      "lonely\n"
      "noslash 22tcp\n"
      "bigport 70000/tcp\n"
      "neg -1/tcp\n"
      "weird 22/icmp\n"
      "trunc 2");
  EXPECT_EQ(db.size(), 0u);
  EXPECT_EQ(db.bad_lines(), 6);
}

TEST(ServicesDbTest, EmptyAndMissing) {
  EXPECT_EQ(ServicesDb::Parse("").size(), 0u);
  EXPECT_EQ(ServicesDb::Load("/nonexistent/services").error().kind(), ErrorKind::kNotFound);
}

TEST(ServicesDbTest, SystemFileKnowsSsh) {
  auto db = ServicesDb::Load("/etc/services");
  if (!db) GTEST_SKIP() << "no /etc/services on this host";
  EXPECT_EQ(db->Name(Proto::kTcp, 22), "ssh");
}

}  // namespace
}  // namespace portatlas::inventory
