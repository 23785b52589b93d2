#include "api/rate_limit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace portatlas::api {
namespace {

TEST(RateLimiterTest, TheEleventhCallInASecondIsRefusedAndAnotherKeyIsNot) {
  int64_t now = 1'000'000;
  RateLimiter limit(10, 10, [&] { return now; });
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limit.Allow("ak1")) << i;
  EXPECT_FALSE(limit.Allow("ak1"));
  EXPECT_TRUE(limit.Allow("ak2"));
  now += 99;
  EXPECT_FALSE(limit.Allow("ak1"));  // 0.99 of a token
  now += 1;
  EXPECT_TRUE(limit.Allow("ak1"));  // one token every 100 ms
  EXPECT_FALSE(limit.Allow("ak1"));
  now += 5'000;  // never more than the burst
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limit.Allow("ak1")) << i;
  EXPECT_FALSE(limit.Allow("ak1"));
}

TEST(RateLimiterTest, IdleKeysAreForgottenAndTheTableIsBounded) {
  int64_t now = 0;
  RateLimiter limit(
      10, 10, [&] { return now; }, 100);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limit.Allow("k" + std::to_string(i)));
  EXPECT_LE(limit.keys(), 100u);
  now += 60'000;
  EXPECT_TRUE(limit.Allow("late"));
  EXPECT_EQ(limit.keys(), 1u);
}

TEST(RateLimiterTest, ConcurrentCallersShareOneBucket) {
  const int64_t now = 5;
  RateLimiter limit(10, 50, [&] { return now; });
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) allowed += limit.Allow("shared") ? 1 : 0;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 50);  // the burst, not one more
}

}  // namespace
}  // namespace portatlas::api
