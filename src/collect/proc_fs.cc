#include "collect/proc_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "core/text.h"

namespace portatlas::collect {

Result<ProcFs> ProcFs::Open(const std::string& root) {
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, fmt::format("open {}", root));
  return ProcFs(root, fd);
}

ProcFs::ProcFs(ProcFs&& other) noexcept
    : root_(std::move(other.root_)), fd_(std::exchange(other.fd_, -1)) {}

ProcFs& ProcFs::operator=(ProcFs&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    root_ = std::move(other.root_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

ProcFs::~ProcFs() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::string> ProcFs::ReadFile(std::string_view rel, size_t max_bytes) const {
  const std::string path(rel);
  const int fd = ::openat(fd_, path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, fmt::format("open {}/{}", root_, path));
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return ErrnoStatus(err, fmt::format("read {}/{}", root_, path));
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return InvalidArgument(fmt::format("{}/{}: larger than {} bytes", root_, path, max_bytes));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<std::string> ProcFs::ReadLink(std::string_view rel) const {
  const std::string path(rel);
  char buf[4096];
  const ssize_t n = ::readlinkat(fd_, path.c_str(), buf, sizeof(buf));
  if (n < 0) return ErrnoStatus(errno, fmt::format("readlink {}/{}", root_, path));
  return std::string(buf, static_cast<size_t>(n));
}

Result<std::vector<int>> ProcFs::ListPids() const {
  const int dfd = ::openat(fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ErrnoStatus(errno, fmt::format("open {}", root_));
  DIR* dir = ::fdopendir(dfd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(dfd);
    return ErrnoStatus(err, fmt::format("opendir {}", root_));
  }
  std::vector<int> pids;
  while (const dirent* de = ::readdir(dir)) {
    if (auto pid = ParseUint(de->d_name, INT32_MAX); pid && *pid > 0) {
      pids.push_back(static_cast<int>(*pid));
    }
  }
  ::closedir(dir);
  std::sort(pids.begin(), pids.end());
  return pids;
}

Status ProcFs::ForEachLink(
    std::string_view rel_dir,
    const std::function<void(std::string_view, std::string_view)>& fn) const {
  const std::string path(rel_dir);
  const int dfd = ::openat(fd_, path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ErrnoStatus(errno, fmt::format("open {}/{}", root_, path));
  DIR* dir = ::fdopendir(dfd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(dfd);
    return ErrnoStatus(err, fmt::format("opendir {}/{}", root_, path));
  }
  char buf[256];
  while (const dirent* de = ::readdir(dir)) {
    if (de->d_name[0] == '.') continue;
    // readlinkat relative to the open directory: no path walk per entry.
    const ssize_t n = ::readlinkat(dfd, de->d_name, buf, sizeof(buf));
    if (n <= 0) continue;  // closed or replaced since the listing
    fn(de->d_name, std::string_view(buf, static_cast<size_t>(n)));
  }
  ::closedir(dir);
  return Status::Ok();
}

}  // namespace portatlas::collect
