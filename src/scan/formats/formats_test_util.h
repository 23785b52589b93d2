// Helpers for the format tests: the testdata directory and inputs too large to allocate.
#ifndef PORTATLAS_SCAN_FORMATS_FORMATS_TEST_UTIL_H_
#define PORTATLAS_SCAN_FORMATS_FORMATS_TEST_UTIL_H_

#include <sys/mman.h>

#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "core/check.h"

namespace portatlas::scan::testing {

inline std::string TestdataPath(std::string_view name) {
  return std::string(PORTATLAS_FORMATS_TESTDATA) + "/" + std::string(name);
}

inline std::string ReadTestdata(std::string_view name) {
  std::ifstream in(TestdataPath(name), std::ios::binary);
  PA_CHECK(in) << "missing testdata " << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// `size` bytes of zeros that cost no memory until read (an anonymous read-only mapping), for
// checking that a reader refuses oversized input before touching it.
class HugeInput {
 public:
  explicit HugeInput(size_t size) : size_(size) {
    addr_ = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    PA_CHECK(addr_ != MAP_FAILED);
  }
  ~HugeInput() { munmap(addr_, size_); }
  HugeInput(const HugeInput&) = delete;
  HugeInput& operator=(const HugeInput&) = delete;
  std::string_view view() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  size_t size_;
  void* addr_;
};

}  // namespace portatlas::scan::testing

#endif  // PORTATLAS_SCAN_FORMATS_FORMATS_TEST_UTIL_H_
