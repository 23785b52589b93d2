#include "agent/clock.h"

#include <gtest/gtest.h>

#include <csignal>

namespace portatlas::agent {
namespace {

TEST(SignalClockTest, PastDeadlineReturnsAtOnce) {
  SignalClock clock;
  const int64_t now = clock.SteadyMs();
  EXPECT_TRUE(clock.SleepUntil(now - 1000));
  EXPECT_TRUE(clock.SleepUntil(now));
  EXPECT_GE(clock.SteadyMs(), now);
  EXPECT_GT(clock.WallMs(), 1'600'000'000'000);  // after September 2020
}

TEST(SignalClockTest, StopSignalEndsSleepsForGood) {
  for (int sig : {SIGTERM, SIGINT}) {
    SignalClock clock;
    // Delivered while the agent is "busy": the next sleep must notice it.
    ASSERT_EQ(std::raise(sig), 0);
    EXPECT_FALSE(clock.SleepUntil(clock.SteadyMs() + 3'600'000)) << sig;
    EXPECT_FALSE(clock.SleepUntil(0)) << sig;
  }
}

TEST(SignalClockTest, ANewClockStartsUnstopped) {
  {
    SignalClock clock;
    ASSERT_EQ(std::raise(SIGTERM), 0);
    EXPECT_FALSE(clock.SleepUntil(0));
  }
  SignalClock clock;
  EXPECT_TRUE(clock.SleepUntil(0));
}

}  // namespace
}  // namespace portatlas::agent
