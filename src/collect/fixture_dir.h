// FixtureDir: a temporary directory laid out like procfs, for ProcFs-based tests.
#ifndef PORTATLAS_COLLECT_FIXTURE_DIR_H_
#define PORTATLAS_COLLECT_FIXTURE_DIR_H_

#include <string>
#include <string_view>

namespace portatlas::collect {

class FixtureDir {
 public:
  FixtureDir();   // creates a fresh directory under $TMPDIR (or /tmp)
  ~FixtureDir();  // removes it with everything inside
  FixtureDir(const FixtureDir&) = delete;
  FixtureDir& operator=(const FixtureDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to root/rel, creating parent directories.
  void WriteFile(std::string_view rel, std::string_view content) const;
  // Creates the symlink root/rel -> target (the target need not exist), making parents.
  void Symlink(std::string_view rel, std::string_view target) const;
  void MakeDir(std::string_view rel) const;

 private:
  std::string path_;
};

}  // namespace portatlas::collect

#endif  // PORTATLAS_COLLECT_FIXTURE_DIR_H_
