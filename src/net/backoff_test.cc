#include "net/backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace portatlas::net {
namespace {

std::vector<int64_t> Schedule(Backoff& b, int n) {
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(b.NextDelayMs());
  return out;
}

TEST(BackoffTest, LowestDrawIsHalfOfTheDoublingBaseUpToTheCap) {
  Backoff b(1000, 60000, [] { return 0.0; });
  EXPECT_EQ(Schedule(b, 9),
            (std::vector<int64_t>{500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}));
}

TEST(BackoffTest, HighestDrawStaysBelowTheBase) {
  Backoff b(1000, 60000, [] { return 0.999999; });
  EXPECT_EQ(Schedule(b, 8),
            (std::vector<int64_t>{999, 1999, 3999, 7999, 15999, 31999, 59999, 59999}));
}

TEST(BackoffTest, ResetStartsOver) {
  Backoff b(1000, 60000, [] { return 0.0; });
  Schedule(b, 5);
  b.Reset();
  EXPECT_EQ(b.attempt(), 0);
  EXPECT_EQ(b.NextDelayMs(), 500);
}

TEST(BackoffTest, CapSmallerThanADoublingStep) {
  Backoff b(1000, 1500, [] { return 0.0; });
  EXPECT_EQ(Schedule(b, 3), (std::vector<int64_t>{500, 750, 750}));
}

TEST(BackoffTest, OutOfRangeRandomnessIsClamped) {
  for (double u : {-1.0, 1.0, 7.5, std::numeric_limits<double>::quiet_NaN()}) {
    Backoff b(1000, 60000, [u] { return u; });
    EXPECT_EQ(b.NextDelayMs(), 500) << u;
  }
}

TEST(BackoffTest, SystemRandomnessStaysWithinBounds) {
  Backoff b(1000, 60000, SystemUniform01());
  for (int i = 0; i < 1000; ++i) {
    const int64_t base = std::min<int64_t>(60000, int64_t{1000} << std::min(i, 6));
    const int64_t d = b.NextDelayMs();
    EXPECT_GE(d, base / 2) << i;
    EXPECT_LT(d, base) << i;
  }
}

TEST(BackoffTest, ManyAttemptsDoNotOverflow) {
  Backoff b(1000, 60000, [] { return 0.0; });
  for (int i = 0; i < 100000; ++i) ASSERT_LE(b.NextDelayMs(), 30000) << i;
}

}  // namespace
}  // namespace portatlas::net
