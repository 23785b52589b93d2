#include "net/fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <utility>

namespace portatlas::net {
namespace {

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

TEST(FdTest, ClosesWhatItOwnsOnceAndOnlyThat) {
  const int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    Fd a(raw);
    Fd b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
    EXPECT_EQ(b.get(), raw);
    Fd c;
    c = std::move(b);
    EXPECT_TRUE(IsOpen(raw));
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(FdTest, ResetClosesTheOldAndReleaseGivesUpOwnership) {
  Fd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int first = fd.get();
  fd.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_NE(fd.get(), first);  // opened before the old one was closed
  EXPECT_FALSE(IsOpen(first));
  const int second = fd.release();
  EXPECT_FALSE(fd.valid());
  EXPECT_TRUE(IsOpen(second));
  ::close(second);
}

}  // namespace
}  // namespace portatlas::net
