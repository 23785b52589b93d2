// libFuzzer target for query-string decoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)portatlas::api::ParseQuery(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
