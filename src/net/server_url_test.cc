#include "net/server_url.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portatlas::net {
namespace {

TEST(ServerUrlTest, AcceptsGoodUrls) {
  struct Case {
    std::string text;
    ServerUrl want;
  };
  const std::vector<Case> cases = {
      {"http://portatlas.example.com", {"portatlas.example.com", 80, ""}},
      {"http://portatlas.example.com/", {"portatlas.example.com", 80, ""}},
      {"HTTP://PortAtlas.Example.COM:8080", {"portatlas.example.com", 8080, ""}},
      {"http://198.18.0.1:9000/", {"198.18.0.1", 9000, ""}},
      {"http://127.0.0.1:1", {"127.0.0.1", 1, ""}},
      {"http://[::1]:65535", {"::1", 65535, ""}},
      {"http://[2001:DB8::1]", {"2001:db8::1", 80, ""}},
      {"http://host/pa", {"host", 80, "/pa"}},
      {"http://host:81/a/b-c_d~e.f//", {"host", 81, "/a/b-c_d~e.f"}},
      {"http://host/a%20b", {"host", 80, "/a%20b"}},
      {"http://my-host.local.", {"my-host.local.", 80, ""}},
  };
  for (const Case& c : cases) {
    auto url = ParseServerUrl(c.text);
    ASSERT_TRUE(url.has_value()) << c.text << ": " << url.error().ToString();
    EXPECT_EQ(*url, c.want) << c.text;
  }
}

TEST(ServerUrlTest, RefusesBadUrls) {
  const std::vector<std::string> bad = {
      "",
      "portatlas.example.com",
      "ftp://host",
      "http:/host",
      "http://",
      "http://:8080",
      "http://host:",
      "http://host:0",
      "http://host:65536",
      "http://host:80x",
      "http://host:-1",
      "http://host:80:81",
      "http://::1",
      "http://[::1",
      "http://[::1]x",
      "http://[198.18.0.1]",
      "http://[zz::1]",
      "http://user:pw@host",
      "http://host/?a=1",
      "http://host#frag",
      "http://host/a b",
      "http://host/a\nb",
      "http://host/../x",
      "http://host/a/./b",
      "http://host/a//b",
      "http://host/%zz",
      "http://host/%4",
      "http://-host",
      "http://host-",
      "http://ho_st",
      "http://a..b",
      "http://1.2.3",
      "http://256.1.1.1",
      "http://h\x01st",
      "http://" + std::string(64, 'a') + ".com",
      "http://host/" + std::string(2100, 'a'),
  };
  for (const std::string& text : bad) {
    auto url = ParseServerUrl(text);
    EXPECT_FALSE(url.has_value()) << text;
    if (!url) {
      EXPECT_EQ(url.error().kind(), ErrorKind::kInvalidArgument) << text;
    }
  }
}

TEST(ServerUrlTest, HttpsIsRefusedWithAnExplanation) {
  auto url = ParseServerUrl("https://portatlas.example.com");
  ASSERT_FALSE(url.has_value());
  EXPECT_NE(url.error().message().find("https:// is not supported"), std::string::npos);
}

TEST(ServerUrlTest, HostHeaderTargetAndText) {
  auto v4 = *ParseServerUrl("http://198.18.0.1/pa/");
  EXPECT_EQ(v4.HostHeader(), "198.18.0.1");
  EXPECT_EQ(v4.Target("/v1/ingest/ports"), "/pa/v1/ingest/ports");
  EXPECT_EQ(v4.ToString(), "http://198.18.0.1:80/pa");
  auto v6 = *ParseServerUrl("http://[::1]:8080");
  EXPECT_EQ(v6.HostHeader(), "[::1]:8080");
  EXPECT_EQ(v6.Target("/v1/ingest/ports"), "/v1/ingest/ports");
  EXPECT_EQ(v6.ToString(), "http://[::1]:8080");
}

}  // namespace
}  // namespace portatlas::net
