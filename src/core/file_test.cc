#include "core/file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace portatlas {
namespace {

TEST(FileTest, ReadsUpToTheCapAndRefusesMore) {
  char path[] = "/tmp/portatlas-file-test-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text(100000, 'x');  // more than one read buffer
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  auto all = ReadFileCapped(path, text.size());
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, text);
  auto over = ReadFileCapped(path, text.size() - 1);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind(), ErrorKind::kInvalidArgument);
  unlink(path);
  auto missing = ReadFileCapped(path, 10);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find(path), std::string::npos);
}

TEST(FileTest, WritesDurablyReplacingTheOldFile) {
  char dir[] = "/tmp/portatlas-file-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/state";
  ASSERT_TRUE(WriteFileDurably(path, "first").ok());
  ASSERT_TRUE(WriteFileDurably(path, "second, longer").ok());
  EXPECT_EQ(*ReadFileCapped(path, 100), "second, longer");
  EXPECT_FALSE(WriteFileDurably(std::string(dir) + "/no/such/dir/x", "x").ok());
  unlink(path.c_str());
  rmdir(dir);
}

// A pipe (like a /proc file) states no size: the cap holds while reading.
TEST(FileTest, CapsAStreamWithoutASize) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string text(3000, 'y');
  ASSERT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fds[1]);
  const std::string path = "/proc/self/fd/" + std::to_string(fds[0]);
  auto over = ReadFileCapped(path, 1000);
  close(fds[0]);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind(), ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace portatlas
