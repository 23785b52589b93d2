#include "collect/netns.h"

#include <gtest/gtest.h>

#include "collect/fixture_dir.h"

namespace portatlas::collect {
namespace {

TEST(NetnsTest, ParsesNsLinks) {
  EXPECT_EQ(ParseNsLink("net:[4026531840]"), 4026531840u);
  for (const char* bad : {"", "net:[]", "net:[x]", "mnt:[4026531840]", "net:[4026531840",
                          "net:4026531840]", "net:[-1]", "net:[ 1]"}) {
    EXPECT_FALSE(ParseNsLink(bad).has_value()) << bad;
  }
}

TEST(NetnsTest, DiscoversDistinctNamespacesOnce) {
  FixtureDir dir;
  dir.Symlink("1/ns/net", "net:[100]");
  dir.Symlink("7/ns/net", "net:[200]");
  dir.Symlink("9/ns/net", "net:[100]");
  dir.Symlink("12/ns/net", "garbage");  // unparsable: skipped
  dir.MakeDir("15");                    // vanished between listing and reading
  auto proc = ProcFs::Open(dir.path());
  ASSERT_TRUE(proc);
  auto ns = DiscoverNetns(*proc, {1, 7, 9, 12, 15, 99}, {});
  ASSERT_EQ(ns.size(), 2u);
  EXPECT_EQ(ns[0].inode, 100u);
  EXPECT_EQ(ns[0].pids, (std::vector<int>{1, 9}));
  EXPECT_EQ(ns[1].inode, 200u);
  EXPECT_EQ(ns[1].pids, (std::vector<int>{7}));
}

TEST(NetnsTest, MissingNetnsDirIsFine) {
  FixtureDir dir;
  auto proc = ProcFs::Open(dir.path());
  ASSERT_TRUE(proc);
  EXPECT_TRUE(DiscoverNetns(*proc, {}, {dir.path() + "/does-not-exist"}).empty());
}

TEST(NetnsTest, FilesInNetnsDirAreNamed) {
  FixtureDir dir;
  dir.WriteFile("run/blue", "");  // a plain file stands in for an nsfs bind mount
  auto proc = ProcFs::Open(dir.path());
  ASSERT_TRUE(proc);
  auto ns = DiscoverNetns(*proc, {}, {dir.path() + "/run"});
  ASSERT_EQ(ns.size(), 1u);
  EXPECT_EQ(ns[0].name, "blue");
  EXPECT_EQ(ns[0].mount_path, dir.path() + "/run/blue");
  EXPECT_TRUE(ns[0].pids.empty());
}

}  // namespace
}  // namespace portatlas::collect
