#include "scan/targets.h"

#include <gtest/gtest.h>

#include <string>

namespace portatlas::scan {
namespace {

// Names resolve only through this table: tests never touch DNS.
Result<std::vector<IpAddr>> FakeResolve(const std::string& name) {
  if (name == "router.test") return std::vector<IpAddr>{*ParseIpAddr("198.18.1.254")};
  if (name == "v6.test") return std::vector<IpAddr>{*ParseIpAddr("2001:2::9")};
  return NotFound("no such host");
}

std::string Parse(std::string_view spec) {
  auto r = ParseTargetSpec(spec, FakeResolve);
  return r ? RangeToString(*r) : "error";
}

TEST(TargetSpecTest, Forms) {
  struct Case {
    const char* spec;
    const char* want;
  } cases[] = {
      {"198.18.0.7", "198.18.0.7"},
      {"198.18.0.0/24", "198.18.0.0-198.18.0.255"},
      {"198.18.0.77/24", "198.18.0.0-198.18.0.255"},  // host bits ignored
      {"198.18.0.1/32", "198.18.0.1"},
      {"0.0.0.0/0", "0.0.0.0-255.255.255.255"},
      {"198.18.0.1-8", "198.18.0.1-198.18.0.8"},
      {"198.18.0.250-198.18.1.3", "198.18.0.250-198.18.1.3"},
      {"2001:2::5", "2001:2::5"},
      {"2001:2::/120", "2001:2::-2001:2::ff"},
      {"2001:2::/64", "2001:2::-2001:2::ffff:ffff:ffff:ffff"},
      {"::/0", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"2001:2::1-2001:2::3", "2001:2::1-2001:2::3"},
      {"router.test", "198.18.1.254"},
      {"v6.test", "2001:2::9"},
      // Errors.
      {"", "error"},
      {"198.18.0.1/33", "error"},
      {"2001:2::/129", "error"},
      {"198.18.0.1/", "error"},
      {"/24", "error"},
      {"198.18.0.9-3", "error"},  // ends before it starts
      {"198.18.0.1-256", "error"},
      {"198.18.0.1-2001:2::1", "error"},
      {"2001:2::1-5", "error"},  // short form is IPv4 only
      {"198.18.0.300", "error"},
      {"nosuch.test", "error"},
      {"bad_name!", "error"},
      {"198.18.0.1/2x", "error"},
  };
  for (const Case& c : cases) EXPECT_EQ(Parse(c.spec), c.want) << c.spec;
}

TEST(TargetSpecTest, ErrorsNameTheSpec) {
  auto r = ParseTargetSpec("198.18.0.1/40", FakeResolve);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("198.18.0.1/40"), std::string::npos);
}

TEST(TargetSetTest, MergeSubtractCountAndIndex) {
  auto set =
      ParseTargets({"198.18.0.1-4,198.18.0.5", "198.18.0.3", "2001:2::1-2001:2::2"}, FakeResolve);
  ASSERT_TRUE(set) << set.error().ToString();
  ASSERT_EQ(set->ranges().size(), 2u);  // 1-4 and 5 merged; 3 inside
  EXPECT_EQ(set->Size(), 7u);
  EXPECT_EQ(set->At(0).ToString(), "198.18.0.1");
  EXPECT_EQ(set->At(4).ToString(), "198.18.0.5");
  EXPECT_EQ(set->At(5).ToString(), "2001:2::1");
  set->Subtract(*ParseTargetSpec("198.18.0.2-3", FakeResolve));
  EXPECT_EQ(set->Size(), 5u);
  EXPECT_FALSE(set->Contains(*ParseIpAddr("198.18.0.2")));
  EXPECT_TRUE(set->Contains(*ParseIpAddr("198.18.0.4")));
  EXPECT_FALSE(set->Contains(*ParseIpAddr("::ffff:198.18.0.4")));
  auto all6 = ParseTargets({"::/0"}, FakeResolve);
  ASSERT_FALSE(all6);  // far too many addresses
  // An allow-list has no such limit: a /48 is an ordinary allow-list entry.
  auto allow = ParseTargets({"2001:2::/48", "198.18.0.0/15"}, FakeResolve, ~uint64_t{0});
  ASSERT_TRUE(allow);
  EXPECT_TRUE(allow->Contains(*ParseIpAddr("2001:2::5")));
  EXPECT_EQ(allow->Size(), ~uint64_t{0});  // saturates
}

TEST(TargetIndexTest, AtAndIndexOfAreInverse) {
  auto set = ParseTargets({"198.18.0.250-198.18.1.3", "198.18.3.7", "2001:2::fffe-2001:2::1:1"},
                          FakeResolve);
  ASSERT_TRUE(set);
  const TargetIndex index(*set);
  ASSERT_EQ(index.size(), 10u + 1 + 4);
  for (uint64_t i = 0; i < index.size(); ++i) {
    EXPECT_EQ(index.At(i), set->At(i));
    auto back = index.IndexOf(index.At(i));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, i);
  }
  EXPECT_FALSE(index.IndexOf(*ParseIpAddr("198.18.0.249")));
  EXPECT_FALSE(index.IndexOf(*ParseIpAddr("198.18.1.4")));
  EXPECT_FALSE(index.IndexOf(*ParseIpAddr("198.18.3.8")));
  EXPECT_FALSE(index.IndexOf(*ParseIpAddr("2001:2::1:2")));
  EXPECT_FALSE(index.IndexOf(*ParseIpAddr("::ffff:198.18.0.250")));
}

TEST(TargetSetTest, AllowListCoversOnlyWhatItAllows) {
  const TargetSet loopback = LoopbackAllowList();
  auto inside = ParseTargets({"127.0.0.1", "127.9.9.9/30", "::1"}, FakeResolve);
  ASSERT_TRUE(inside);
  EXPECT_TRUE(loopback.Covers(*inside));
  auto outside = ParseTargets({"127.0.0.1", "198.18.0.1"}, FakeResolve);
  ASSERT_TRUE(outside);
  EXPECT_FALSE(loopback.Covers(*outside));
  auto first = loopback.FirstUncovered(*outside);
  ASSERT_TRUE(first);
  EXPECT_EQ(RangeToString(*first), "198.18.0.1");
  // A range straddling the edge of an allowed block is not covered.
  auto allowed = ParseTargets({"198.18.0.0/24"}, FakeResolve);
  auto straddle = ParseTargets({"198.18.0.250-198.18.1.1"}, FakeResolve);
  ASSERT_TRUE(allowed && straddle);
  EXPECT_EQ(RangeToString(*allowed->FirstUncovered(*straddle)), "198.18.1.0-198.18.1.1");
  EXPECT_FALSE(loopback.Covers(*ParseTargets({"::2"}, FakeResolve)));
}

TEST(TargetListTest, SplitsWordsAndDropsComments) {
  EXPECT_EQ(SplitTargetList("198.18.0.1 198.18.0.2\n# all of it\n198.18.0.0/30 # tail\r\n\n"),
            (std::vector<std::string>{"198.18.0.1", "198.18.0.2", "198.18.0.0/30"}));
  EXPECT_TRUE(SplitTargetList("").empty());
  EXPECT_TRUE(SplitTargetList("# only\n").empty());
}

}  // namespace
}  // namespace portatlas::scan
