#include "core/status.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace portatlas {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk:
      return "ok";
    case ErrorKind::kInvalidArgument:
      return "invalid_argument";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kPermissionDenied:
      return "permission_denied";
    case ErrorKind::kUnauthenticated:
      return "unauthenticated";
    case ErrorKind::kIo:
      return "io";
    case ErrorKind::kParse:
      return "parse";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kConflict:
      return "conflict";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return fmt::format("{}: {}", ErrorKindName(kind_), message_);
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(kind_, fmt::format("{}: {}", context, message_));
}

Status ErrnoStatus(int err, std::string_view what) {
  std::string msg = fmt::format("{}: {}", what, std::strerror(err));
  switch (err) {
    case ENOENT:
    case ESRCH:
      return NotFound(std::move(msg));
    case EACCES:
    case EPERM:
      return PermissionDenied(std::move(msg));
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
    case ENOSYS:
    case EOPNOTSUPP:
      return Unavailable(std::move(msg));
    case EINVAL:
      return InvalidArgument(std::move(msg));
    default:
      return IoError(std::move(msg));
  }
}

namespace internal {

CheckFailure::CheckFailure(const char* file, int line, const char* expr) {
  stream_ << file << ":" << line << ": CHECK failed: " << expr << " ";
}

CheckFailure::~CheckFailure() {
  std::fprintf(stderr, "%s\n", stream_.str().c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace internal
}  // namespace portatlas
