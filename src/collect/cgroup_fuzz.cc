// libFuzzer target for /proc/PID/cgroup container attribution.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collect/container.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ref = portatlas::collect::ContainerFromCgroupFile(text);
  if (ref && ref->id.empty()) __builtin_trap();  // a container always has an id
  return 0;
}
