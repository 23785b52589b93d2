// libFuzzer target for the scan-task bodies: records (the big one), task creation, progress.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/tasks/task_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)portatlas::api::tasks::ParseRecordsBody(body);
  (void)portatlas::api::tasks::ParseCreateTaskBody(body);
  (void)portatlas::api::tasks::ParseProgressBody(body);
  return 0;
}
