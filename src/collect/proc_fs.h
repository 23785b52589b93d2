// ProcFs: every read the collector makes of procfs goes through this seam.
//
// It is rooted at a directory: "/proc" in production, a fixture directory in tests (files,
// directories and symlinks laid out like procfs, so odd inputs can be staged: truncated lines,
// pids whose entries are missing, "(deleted)" executables). Paths given to its methods are
// relative to the root ("123/fd", "net/tcp"). Reads are bounded by `max_bytes`.
// Thread-safe: the object holds only an immutable directory descriptor.
#ifndef PORTATLAS_COLLECT_PROC_FS_H_
#define PORTATLAS_COLLECT_PROC_FS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace portatlas::collect {

class ProcFs {
 public:
  // Opens `root`; fails with NotFound/PermissionDenied/Io when it cannot be opened.
  static Result<ProcFs> Open(const std::string& root);

  ProcFs(ProcFs&& other) noexcept;
  ProcFs& operator=(ProcFs&& other) noexcept;
  ProcFs(const ProcFs&) = delete;
  ProcFs& operator=(const ProcFs&) = delete;
  ~ProcFs();

  const std::string& root() const { return root_; }

  // Whole contents of a file. Procfs files report size 0, so this reads until EOF.
  // Fails with InvalidArgument when the file exceeds max_bytes.
  Result<std::string> ReadFile(std::string_view rel, size_t max_bytes = 64u << 20) const;

  // Target of a symbolic link, e.g. "socket:[123]" or "/usr/bin/sshd (deleted)".
  Result<std::string> ReadLink(std::string_view rel) const;

  // The numeric entries of the root (the pids), ascending. Unreadable root yields an error.
  Result<std::vector<int>> ListPids() const;

  // Calls fn(name, target) for each symlink in directory `rel_dir` (e.g. "123/fd"). Targets
  // longer than 255 bytes are cut there: this is for fd links, where only "socket:[N]" matters.
  // Entries that vanish or cannot be read between listing and reading are skipped.
  // Fails when the directory itself cannot be opened.
  Status ForEachLink(std::string_view rel_dir,
                     const std::function<void(std::string_view, std::string_view)>& fn) const;

 private:
  ProcFs(std::string root, int fd) : root_(std::move(root)), fd_(fd) {}

  std::string root_;
  int fd_ = -1;
};

}  // namespace portatlas::collect

#endif  // PORTATLAS_COLLECT_PROC_FS_H_
