// The Store conformance suite (store_conformance.h) on SqliteStore, each test on a fresh file.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite/temp_sqlite_store.h"
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
  TempSqliteStore t = OpenTempSqliteStore("conformance");
  Dirs().push_back(t.dir);
  return std::move(t.store);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreBackend{"sqlite", MakeEmptySqliteStore}),
                         BackendName);

}  // namespace
}  // namespace portatlas::store
