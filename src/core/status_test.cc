#include "core/status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace portatlas {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, CarriesKindAndMessage) {
  Status s = ParseError("bad line 3");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kParse);
  EXPECT_EQ(s.ToString(), "parse: bad line 3");
  EXPECT_EQ(s.WithContext("/proc/net/tcp").message(), "/proc/net/tcp: bad line 3");
}

TEST(StatusTest, ErrnoMapsToKinds) {
  EXPECT_EQ(ErrnoStatus(ENOENT, "open").kind(), ErrorKind::kNotFound);
  EXPECT_EQ(ErrnoStatus(ESRCH, "open").kind(), ErrorKind::kNotFound);
  EXPECT_EQ(ErrnoStatus(EACCES, "open").kind(), ErrorKind::kPermissionDenied);
  EXPECT_EQ(ErrnoStatus(EPROTONOSUPPORT, "socket").kind(), ErrorKind::kUnavailable);
  EXPECT_EQ(ErrnoStatus(EIO, "read").kind(), ErrorKind::kIo);
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good(7);
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(*good, 7);
  EXPECT_TRUE(good.error().ok());
  Result<int> bad(NotFound("x"));
  EXPECT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kNotFound);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> bad(NotFound("gone"));
  EXPECT_DEATH((void)bad.value(), "CHECK failed");
}

Status FailsThenNot(bool fail) {
  PA_RETURN_IF_ERROR(fail ? IoError("boom") : Status::Ok());
  return Status::Ok();
}

TEST(StatusTest, ReturnIfErrorPropagates) {
  EXPECT_EQ(FailsThenNot(true).kind(), ErrorKind::kIo);
  EXPECT_TRUE(FailsThenNot(false).ok());
}

}  // namespace
}  // namespace portatlas
