// The Store conformance suite: the contract of store.h as tests written against the interface
// only, run on every implementation. An implementation's test file instantiates it with a
// factory of empty stores:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
//                            ::testing::Values(StoreBackend{"sqlite", MakeEmptySqliteStore}));
#ifndef PORTATLAS_STORE_STORE_CONFORMANCE_H_
#define PORTATLAS_STORE_STORE_CONFORMANCE_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "store/store.h"

namespace portatlas::store {

struct StoreBackend {
  std::string name;
  // A new, empty store for one test; it is destroyed at the end of the test.
  std::function<std::unique_ptr<Store>()> make;
};

// How gtest prints the parameter in a test's name and its failures: the backend's name.
inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override { store_.reset(); }
  Store& store() { return *store_; }

 private:
  std::unique_ptr<Store> store_;
};

// For INSTANTIATE_TEST_SUITE_P's name generator: the backend's name.
std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info);

}  // namespace portatlas::store

#endif  // PORTATLAS_STORE_STORE_CONFORMANCE_H_
