#include "collect/owners.h"

#include <gtest/gtest.h>

#include "collect/fixture_dir.h"

namespace portatlas::collect {
namespace {

TEST(OwnersTest, ParsesSocketLinks) {
  EXPECT_EQ(ParseSocketLink("socket:[12345]"), 12345u);
  for (const char* bad : {"", "socket:[]", "socket:[12a]", "pipe:[12]", "/dev/null", "socket:[1",
                          "anon_inode:[eventpoll]", "socket:[-5]"}) {
    EXPECT_FALSE(ParseSocketLink(bad).has_value()) << bad;
  }
}

class OwnersFixtureTest : public testing::TestWithParam<int> {};

TEST_P(OwnersFixtureTest, LowestPidOwnsSharedSocketsCountedOncePerProcess) {
  FixtureDir dir;
  // A pre-fork server: master 40 and workers 41, 42 share listener 500.
  dir.Symlink("40/fd/3", "socket:[500]");
  dir.Symlink("41/fd/3", "socket:[500]");
  dir.Symlink("42/fd/3", "socket:[500]");
  dir.Symlink("42/fd/4", "socket:[500]");  // dup'ed: still one process
  dir.Symlink("42/fd/5", "socket:[777]");  // a connection we did not ask about
  dir.Symlink("42/fd/0", "/dev/null");
  dir.Symlink("50/fd/9", "socket:[600]");
  dir.MakeDir("60");  // exited: no fd directory
  auto proc = ProcFs::Open(dir.path());
  ASSERT_TRUE(proc);
  auto owners = MapSocketOwners(*proc, {40, 41, 42, 50, 60, 61}, {500, 600, 900}, GetParam());
  ASSERT_EQ(owners.size(), 2u);
  EXPECT_EQ(owners[500].pid, 40);
  EXPECT_EQ(owners[500].sharers, 3);
  EXPECT_EQ(owners[600].pid, 50);
  EXPECT_EQ(owners[600].sharers, 1);
  EXPECT_FALSE(owners.contains(900));
  EXPECT_FALSE(owners.contains(777));
}

INSTANTIATE_TEST_SUITE_P(Threads, OwnersFixtureTest, testing::Values(1, 2, 3, 8));

}  // namespace
}  // namespace portatlas::collect
