#include "collect/fixture_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/check.h"

namespace portatlas::collect {

namespace fs = std::filesystem;

FixtureDir::FixtureDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr ? tmp : "/tmp") + "/portatlas-fixture-XXXXXX";
  PA_CHECK(::mkdtemp(templ.data()) != nullptr) << templ;
  path_ = templ;
}

FixtureDir::~FixtureDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void FixtureDir::WriteFile(std::string_view rel, std::string_view content) const {
  const fs::path p = fs::path(path_) / rel;
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  PA_CHECK(out.good()) << p;
}

void FixtureDir::Symlink(std::string_view rel, std::string_view target) const {
  const fs::path p = fs::path(path_) / rel;
  fs::create_directories(p.parent_path());
  fs::create_symlink(fs::path(target), p);
}

void FixtureDir::MakeDir(std::string_view rel) const {
  fs::create_directories(fs::path(path_) / rel);
}

}  // namespace portatlas::collect
