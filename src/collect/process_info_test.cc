#include "collect/process_info.h"

#include <gtest/gtest.h>

#include "collect/fixture_dir.h"

namespace portatlas::collect {
namespace {

TEST(ProcessInfoTest, StripsDeletedMarker) {
  bool deleted = false;
  EXPECT_EQ(StripDeletedSuffix("/usr/sbin/sshd (deleted)", &deleted), "/usr/sbin/sshd");
  EXPECT_TRUE(deleted);
  EXPECT_EQ(StripDeletedSuffix("/usr/sbin/sshd", &deleted), "/usr/sbin/sshd");
  EXPECT_FALSE(deleted);
  EXPECT_EQ(StripDeletedSuffix(" (deleted)", &deleted), " (deleted)");  // nothing before it
  EXPECT_FALSE(deleted);
}

TEST(ProcessInfoTest, ReadsCommExeAndContainer) {
  FixtureDir dir;
  dir.WriteFile("10/comm", "nginx\n");
  dir.Symlink("10/exe", "/usr/sbin/nginx (deleted)");
  dir.WriteFile("10/cgroup", "0::/system.slice/docker-" + std::string(64, 'b') + ".scope\n");
  auto proc = ProcFs::Open(dir.path());
  ASSERT_TRUE(proc);
  ProcessInfo info = ReadProcessInfo(*proc, 10);
  EXPECT_EQ(info.comm, "nginx");
  EXPECT_EQ(info.exe, "/usr/sbin/nginx");
  EXPECT_TRUE(info.exe_deleted);
  ASSERT_TRUE(info.container.has_value());
  EXPECT_EQ(info.container->id, std::string(64, 'b'));
}

TEST(ProcessInfoTest, VanishedProcessYieldsEmptyInfo) {
  FixtureDir dir;
  auto proc = ProcFs::Open(dir.path());
  ASSERT_TRUE(proc);
  ProcessInfo info = ReadProcessInfo(*proc, 4242);
  EXPECT_EQ(info.comm, "");
  EXPECT_EQ(info.exe, "");
  EXPECT_FALSE(info.container.has_value());
}

TEST(ProcessInfoTest, OversizedCommIsIgnored) {
  FixtureDir dir;
  dir.WriteFile("10/comm", std::string(1000, 'x'));
  auto proc = ProcFs::Open(dir.path());
  ASSERT_TRUE(proc);
  EXPECT_EQ(ReadProcessInfo(*proc, 10).comm, "");
}

TEST(ProcFsTest, ReadFileBoundsAndErrors) {
  FixtureDir dir;
  dir.WriteFile("big", std::string(100, 'x'));
  auto proc = ProcFs::Open(dir.path());
  ASSERT_TRUE(proc);
  EXPECT_EQ(proc->ReadFile("big", 10).error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(proc->ReadFile("big")->size(), 100u);
  EXPECT_EQ(proc->ReadFile("missing").error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(proc->ReadLink("big").error().kind(), ErrorKind::kInvalidArgument);  // EINVAL
  EXPECT_FALSE(ProcFs::Open(dir.path() + "/nope").has_value());
}

TEST(ProcFsTest, ListsOnlyNumericEntries) {
  FixtureDir dir;
  dir.MakeDir("1");
  dir.MakeDir("300");
  dir.MakeDir("self");
  dir.MakeDir("12abc");
  dir.MakeDir("0");
  dir.WriteFile("sys", "");
  auto proc = ProcFs::Open(dir.path());
  ASSERT_TRUE(proc);
  auto pids = proc->ListPids();
  ASSERT_TRUE(pids);
  EXPECT_EQ(*pids, (std::vector<int>{1, 300}));
}

}  // namespace
}  // namespace portatlas::collect
