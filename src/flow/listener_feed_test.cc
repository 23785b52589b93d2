#include "flow/listener_feed.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace portatlas::flow {
namespace {

constexpr const char* kAnswer =
    R"({"listeners":[{"ip":"198.18.0.7","protocol":"tcp","port":45000,"source":"agent"},
                     {"ip":"2001:2::9","protocol":"udp","port":5353,"source":"scan"}]})";

TEST(ListenerFeedTest, ParsesTheEndpointsAnswerAndRefusesOthers) {
  auto set = ListenerFeed::Parse(kAnswer);
  ASSERT_TRUE(set) << set.error().ToString();
  EXPECT_TRUE((*set)->Contains(*ParseIpAddr("198.18.0.7"), Proto::kTcp, 45000));
  EXPECT_TRUE((*set)->Contains(*ParseIpAddr("2001:2::9"), Proto::kUdp, 5353));
  EXPECT_FALSE((*set)->Contains(*ParseIpAddr("198.18.0.7"), Proto::kUdp, 45000));
  for (const char* bad :
       {"", "[]", R"({"listeners":{}})", R"({"listeners":[{"ip":"x","protocol":"tcp","port":1}]})",
        R"({"listeners":[{"ip":"198.18.0.1","protocol":"icmp","port":1}]})",
        R"({"listeners":[{"ip":"198.18.0.1","protocol":"tcp","port":70000}]})"}) {
    EXPECT_FALSE(ListenerFeed::Parse(bad)) << bad;
  }
}

TEST(ListenerFeedTest, AFailedFetchKeepsTheLastSet) {
  std::atomic<int> calls{0};
  ListenerFeed feed(
      [&]() -> net::HttpReply {
        return ++calls == 1 ? net::HttpReply{200, true, kAnswer}
                            : net::HttpReply{0, false, "connection refused"};
      },
      5);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (calls.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(calls.load(), 3);
  EXPECT_EQ(feed.fetches(), 1u);
  EXPECT_EQ(feed.Current()->size(), 2u);
}

}  // namespace
}  // namespace portatlas::flow
