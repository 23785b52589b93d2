// The Store conformance suite (store_conformance.h) on SqliteStore, each test on a fresh file.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store_impl.h"
#include "store/store_conformance.h"

namespace portatlas::store {
namespace {

std::vector<std::string>& Dirs() {
  static std::vector<std::string> dirs;
  return dirs;
}

// Removes the stores' directories once every test has run.
class RemoveDirs : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const std::string& d : Dirs()) std::filesystem::remove_all(d);
  }
};
const auto* const kRemoveDirs = ::testing::AddGlobalTestEnvironment(new RemoveDirs);

std::unique_ptr<Store> MakeEmptySqliteStore() {
  std::string dir = ::testing::TempDir() + "portatlas-conformance-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return nullptr;
  Dirs().push_back(dir);
  auto s = SqliteStore::Open(dir + "/db.sqlite");
  if (!s) return nullptr;
  return std::move(*s);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreBackend{"sqlite", MakeEmptySqliteStore}),
                         BackendName);

}  // namespace
}  // namespace portatlas::store
