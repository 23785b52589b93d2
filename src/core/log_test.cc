#include "core/log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <spdlog/sinks/ostream_sink.h>

#include <memory>
#include <sstream>
#include <string>

namespace portatlas::logging {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void Start(const LogOptions& o) {
    Init("portatlas test", o, std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
  }
  void TearDown() override { Init("portatlas", LogOptions{}); }
  std::ostringstream out_;
};

TEST_F(LogTest, TextLinesNameTheProgramAndOnlyWarningsAndDebugHaveAWord) {
  LogOptions o;
  o.timestamps = false;
  o.level = spdlog::level::debug;
  Start(o);
  Logger().info("listening on {}", "127.0.0.1:8080");
  Logger().warn("not root");
  Logger().error("no route to {}", "198.18.0.9");
  Logger().debug("phase {}", 2);
  EXPECT_EQ(out_.str(),
            "portatlas test: listening on 127.0.0.1:8080\n"
            "portatlas test: warning: not root\n"
            "portatlas test: no route to 198.18.0.9\n"
            "portatlas test: debug: phase 2\n");
}

TEST_F(LogTest, TextTimestampsAreUtcIso8601) {
  Start(LogOptions{});
  Logger().info("x");
  const std::string line = out_.str();
  ASSERT_EQ(line.size(), 21u + std::string("portatlas test: x\n").size()) << line;
  EXPECT_EQ(line[4], '-');
  EXPECT_EQ(line[10], 'T');
  EXPECT_EQ(line[19], 'Z');
}

TEST_F(LogTest, LevelsBelowTheSetOneAreDropped) {
  LogOptions o;
  o.timestamps = false;
  o.level = spdlog::level::warn;
  Start(o);
  Logger().info("dropped");
  Logger().debug("dropped");
  Logger().warn("kept");
  EXPECT_EQ(out_.str(), "portatlas test: warning: kept\n");
}

// Quotes, control characters and invalid UTF-8 in a message leave every line valid JSON.
TEST_F(LogTest, JsonLinesStayValidWhateverTheMessageHolds) {
  LogOptions o;
  o.format = Format::kJson;
  Start(o);
  const std::string nasty = "a \"quoted\" \\ back\nslash \x01 and bad \xc3\x28 bytes";
  Logger().error("{}", nasty);
  std::string line = out_.str();
  ASSERT_FALSE(line.empty());
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  EXPECT_EQ(line.find('\n'), std::string::npos);
  rapidjson::Document d;
  ASSERT_FALSE(d.Parse(line.c_str()).HasParseError()) << line;
  EXPECT_STREQ(d["level"].GetString(), "error");
  EXPECT_STREQ(d["program"].GetString(), "portatlas test");
  const std::string msg = d["msg"].GetString();
  EXPECT_EQ(msg.substr(0, 18), "a \"quoted\" \\ back\n");
  EXPECT_NE(msg.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD for the bad byte
  EXPECT_EQ(std::string(d["time"].GetString()).back(), 'Z');
}

TEST(LogParseTest, FormatsAndLevels) {
  EXPECT_EQ(*ParseFormat("text"), Format::kText);
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_FALSE(ParseFormat("JSON").has_value());
  EXPECT_EQ(*ParseLevel("warn"), spdlog::level::warn);
  EXPECT_EQ(*ParseLevel("error"), spdlog::level::err);
  EXPECT_FALSE(ParseLevel("verbose").has_value());
  EXPECT_FALSE(ParseLevel("").has_value());
}

}  // namespace
}  // namespace portatlas::logging
