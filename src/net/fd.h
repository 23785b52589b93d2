// Fd: a file descriptor closed when it goes out of scope.
#ifndef PORTATLAS_SCAN_FD_H_
#define PORTATLAS_SCAN_FD_H_

#include <unistd.h>

namespace portatlas::scan {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_FD_H_
