#include "scan/keyed.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace portatlas::scan {
namespace {

TEST(KeyedTest, PermutationIsABijection) {
  const ProbeKey key(42);
  for (uint64_t n : {1ULL, 2ULL, 3ULL, 5ULL, 64ULL, 1000ULL, 65535ULL, 8ULL * 65535ULL}) {
    const Permutation p(n, key);
    std::vector<bool> seen(n);
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t v = p(i);
      ASSERT_LT(v, n) << "n=" << n;
      ASSERT_FALSE(seen[v]) << "n=" << n << " repeats " << v;
      seen[v] = true;
    }
  }
}

TEST(KeyedTest, OrderDependsOnTheKeyAndIsNotTheIdentity) {
  const Permutation a(65535, ProbeKey(1));
  const Permutation b(65535, ProbeKey(1));
  const Permutation c(65535, ProbeKey(2));
  int same_ab = 0, same_ac = 0, fixed = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    same_ab += a(i) == b(i);
    same_ac += a(i) == c(i);
    fixed += a(i) == i;
  }
  EXPECT_EQ(same_ab, 1000);
  EXPECT_LT(same_ac, 10);
  EXPECT_LT(fixed, 10);
}

TEST(KeyedTest, CookieDependsOnEveryInputAndTheKey) {
  CookieHasher h(ProbeKey(7));
  CookieHasher same(ProbeKey(7));
  CookieHasher other(ProbeKey(8));
  const IpAddr a = *ParseIpAddr("198.18.0.1");
  const IpAddr b = *ParseIpAddr("198.18.0.2");
  const IpAddr v6 = *ParseIpAddr("2001:2::1");
  const uint64_t base = h.Hash(a, 80, Proto::kTcp);
  EXPECT_EQ(base, same.Hash(a, 80, Proto::kTcp));
  std::set<uint64_t> values = {base,
                               h.Hash(b, 80, Proto::kTcp),
                               h.Hash(a, 81, Proto::kTcp),
                               h.Hash(a, 80, Proto::kUdp),
                               h.Hash(v6, 80, Proto::kTcp),
                               other.Hash(a, 80, Proto::kTcp)};
  EXPECT_EQ(values.size(), 6u);
}

TEST(KeyedTest, KeyFromSeedIsStable) {
  EXPECT_EQ(ProbeKey(5).aes_key(), ProbeKey(5).aes_key());
  EXPECT_NE(ProbeKey(5).aes_key(), ProbeKey(6).aes_key());
  EXPECT_NE(ProbeKey::RandomSeed(), ProbeKey::RandomSeed());
}

}  // namespace
}  // namespace portatlas::scan
