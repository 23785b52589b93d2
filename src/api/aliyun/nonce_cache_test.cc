// The nonce memory: replays refused, scope per access key, expiry, bounded size.
#include "api/aliyun/nonce_cache.h"

#include <gtest/gtest.h>

namespace portatlas::api::aliyun {
namespace {

using Outcome = NonceCache::Outcome;
using std::chrono::minutes;
using std::chrono::seconds;

const NonceCache::TimePoint kT0{seconds(1700000000)};

TEST(NonceCacheTest, SecondUseOfANonceIsAReplay) {
  NonceCache c;
  EXPECT_EQ(c.Use("AK", "n1", kT0, kT0 + minutes(15)), Outcome::kFresh);
  EXPECT_EQ(c.Use("AK", "n1", kT0 + seconds(1), kT0 + minutes(15)), Outcome::kReplayed);
  EXPECT_EQ(c.Use("AK", "n2", kT0, kT0 + minutes(15)), Outcome::kFresh);
  EXPECT_EQ(c.size(), 2u);
}

TEST(NonceCacheTest, NoncesAreScopedByAccessKey) {
  NonceCache c;
  EXPECT_EQ(c.Use("AK1", "n", kT0, kT0 + minutes(15)), Outcome::kFresh);
  EXPECT_EQ(c.Use("AK2", "n", kT0, kT0 + minutes(15)), Outcome::kFresh);
  // The pair is length-delimited: ("AK1", "n") is not ("AK", "1n").
  EXPECT_EQ(c.Use("AK", "1n", kT0, kT0 + minutes(15)), Outcome::kFresh);
}

TEST(NonceCacheTest, ANonceIsForgottenOnlyAfterItsExpiry) {
  NonceCache c;
  const auto expires = kT0 + minutes(15);
  EXPECT_EQ(c.Use("AK", "n", kT0, expires), Outcome::kFresh);
  EXPECT_EQ(c.Use("AK", "n", expires, expires), Outcome::kReplayed);  // the bound still holds
  EXPECT_EQ(c.Use("AK", "n", expires + seconds(1), expires + minutes(15)), Outcome::kFresh);
  EXPECT_EQ(c.size(), 1u);
}

TEST(NonceCacheTest, FullOfLiveNoncesRefusesAndRemembersNothing) {
  NonceCache c(2);
  EXPECT_EQ(c.Use("AK", "a", kT0, kT0 + minutes(1)), Outcome::kFresh);
  EXPECT_EQ(c.Use("AK", "b", kT0, kT0 + minutes(10)), Outcome::kFresh);
  EXPECT_EQ(c.Use("AK", "c", kT0, kT0 + minutes(15)), Outcome::kFull);
  EXPECT_EQ(c.Use("AK", "a", kT0, kT0 + minutes(15)), Outcome::kReplayed);  // still known
  EXPECT_EQ(c.size(), 2u);
  // Once "a" expires its slot is free again.
  EXPECT_EQ(c.Use("AK", "c", kT0 + minutes(2), kT0 + minutes(17)), Outcome::kFresh);
  EXPECT_EQ(c.Use("AK", "a", kT0 + minutes(2), kT0 + minutes(17)), Outcome::kFull);
}

TEST(NonceCacheTest, ZeroCapacityAcceptsNothing) {
  NonceCache c(0);
  EXPECT_EQ(c.Use("AK", "a", kT0, kT0), Outcome::kFull);
}

}  // namespace
}  // namespace portatlas::api::aliyun
