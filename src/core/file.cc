#include "core/file.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

namespace portatlas {

Result<std::string> ReadFileCapped(const std::string& path, size_t max_bytes) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return ErrnoStatus(errno, path);
  // A regular file's size is known before reading it: refuse it at once.
  struct stat st {};
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) > max_bytes) {
    std::fclose(f);
    return InvalidArgument(fmt::format("{}: {} bytes is larger than {} bytes", path,
                                       static_cast<uint64_t>(st.st_size), max_bytes));
  }
  std::string text;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
    text.append(buf, n);
    if (text.size() > max_bytes) {
      std::fclose(f);
      return InvalidArgument(fmt::format("{}: larger than {} bytes", path, max_bytes));
    }
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return IoError(fmt::format("{}: read error", path));
  return text;
}

}  // namespace portatlas
