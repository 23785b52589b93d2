// Status and Result<T>: the error currency of portatlas.
//
// Expected failures (bad input, I/O, parse errors, missing things) travel as a Status with one
// ErrorKind from a closed set and a human-readable message. Result<T> holds either a T or a
// non-OK Status; it is shaped like std::expected (has_value, value, error, operator*, ->), which
// g++ 12 does not ship. Each API family maps ErrorKind to its own HTTP status and error code in
// exactly one function. Both types are cheap to move and not thread-safe to mutate concurrently.
#ifndef PORTATLAS_CORE_STATUS_H_
#define PORTATLAS_CORE_STATUS_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/check.h"

namespace portatlas {

enum class ErrorKind {
  kOk = 0,
  kInvalidArgument,   // the caller's input is malformed or out of range
  kNotFound,          // a named thing does not exist (file, pid, record)
  kPermissionDenied,  // the OS or a credential refused access
  kUnauthenticated,   // no or wrong credentials
  kIo,                // an I/O call failed for another reason
  kParse,             // data read from outside could not be decoded
  kUnavailable,       // a facility is missing on this host (e.g. netlink sock_diag)
  kConflict,          // the request is well formed but the thing is not in a state to take it
  kInternal,          // a bug or an unexpected library failure
};

// Returns a stable lower-case name for `kind`, e.g. "invalid_argument".
std::string_view ErrorKindName(ErrorKind kind);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return kind_ == ErrorKind::kOk; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // "kind: message", or "ok".
  std::string ToString() const;

  // Returns this status with `context + ": "` prepended to the message (no-op when OK).
  Status WithContext(std::string_view context) const;

 private:
  ErrorKind kind_ = ErrorKind::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {ErrorKind::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {ErrorKind::kNotFound, std::move(m)}; }
inline Status IoError(std::string m) { return {ErrorKind::kIo, std::move(m)}; }
inline Status ParseError(std::string m) { return {ErrorKind::kParse, std::move(m)}; }
inline Status Unavailable(std::string m) { return {ErrorKind::kUnavailable, std::move(m)}; }
inline Status PermissionDenied(std::string m) {
  return {ErrorKind::kPermissionDenied, std::move(m)};
}
inline Status Conflict(std::string m) { return {ErrorKind::kConflict, std::move(m)}; }
inline Status InternalError(std::string m) { return {ErrorKind::kInternal, std::move(m)}; }

// Maps an errno value from a failed system call on `what` to a Status of the closest kind.
Status ErrnoStatus(int err, std::string_view what);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit like std::expected
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    PA_CHECK(!std::get<Status>(v_).ok()) << "Result built from an OK Status";
  }

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    PA_CHECK(has_value()) << error().ToString();
    return std::get<T>(v_);
  }
  const T& value() const& {
    PA_CHECK(has_value()) << error().ToString();
    return std::get<T>(v_);
  }
  T&& value() && {
    PA_CHECK(has_value()) << error().ToString();
    return std::get<T>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; an OK Status when a value is held.
  Status error() const { return has_value() ? Status() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace portatlas

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define PA_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::portatlas::Status pa_status_ = (expr); \
    if (!pa_status_.ok()) return pa_status_; \
  } while (0)

// Declares `lhs` as the value of `expr` (a Result<T>), or returns its error from the enclosing
// function.
#define PA_ASSIGN_OR_RETURN(lhs, expr)                  \
  auto lhs##_pa_result = (expr);                        \
  if (!lhs##_pa_result) return lhs##_pa_result.error(); \
  auto lhs = std::move(*lhs##_pa_result)

#endif  // PORTATLAS_CORE_STATUS_H_
