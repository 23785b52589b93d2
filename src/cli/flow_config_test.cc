#include "cli/flow_config.h"

#include <gtest/gtest.h>

namespace portatlas::cli {
namespace {

TEST(FlowConfigTest, KeysSetOptionsAndFlagsWin) {
  flow::CollectorOptions o;
  o.server = "http://127.0.0.1:9/";  // as if given on the command line
  const std::string text = R"(
listen = ["udp://127.0.0.1:2055", "udp://[::1]:4739"]
server = "http://127.0.0.1:8080"
internet = ["198.19.0.0/16"]
internal = ["10.0.0.0/8"]
flush_interval = 5
rcvbuf = 1048576
)";
  ASSERT_TRUE(ApplyFlowConfig(text, "f.toml", {"server"}, &o).ok());
  EXPECT_EQ(o.listen, (std::vector<std::string>{"udp://127.0.0.1:2055", "udp://[::1]:4739"}));
  EXPECT_EQ(o.server, "http://127.0.0.1:9/");  // the flag won
  EXPECT_EQ(o.internet, (std::vector<std::string>{"198.19.0.0/16"}));
  EXPECT_EQ(o.internal, (std::vector<std::string>{"10.0.0.0/8"}));
  EXPECT_EQ(o.flush_interval_ms, 5000);
  EXPECT_EQ(o.rcvbuf_bytes, 1048576);
}

TEST(FlowConfigTest, RefusesWhatIsNotTheCollectorsConfig) {
  const std::pair<const char*, const char*> cases[] = {
      {"listen = [", "does not parse"},
      {"token = \"t\"", "unknown key"},
      {"listen = \"udp://127.0.0.1:1\"", "a string where a list goes"},
      {"flush_interval = 0", "out of range"},
      {"rcvbuf = \"big\"", "a string where a number goes"},
      {"server = \"\xff\"", "not UTF-8"},
  };
  for (const auto& [text, why] : cases) {
    flow::CollectorOptions o;
    EXPECT_EQ(ApplyFlowConfig(text, "f.toml", {}, &o).kind(), ErrorKind::kInvalidArgument) << why;
  }
}

}  // namespace
}  // namespace portatlas::cli
