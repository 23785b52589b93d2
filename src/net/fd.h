// Fd: owns one file descriptor and closes it when it goes out of scope. Movable, not copyable.
// A negative value means "none". Not thread-safe (like the descriptor it holds).
#ifndef PORTATLAS_NET_FD_H_
#define PORTATLAS_NET_FD_H_

#include <unistd.h>

#include <utility>

namespace portatlas::net {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes the descriptor held (if any) and holds `fd` instead.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  // Gives up ownership without closing; returns the descriptor.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

}  // namespace portatlas::net

#endif  // PORTATLAS_NET_FD_H_
