// libFuzzer target for the traffic ingest body (POST /v1/ingest/traffic): any input is refused
// or parses into a batch that writes back to text that parses to the same batch.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/traffic_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto batch = portatlas::ParseTrafficBatch(body);
  if (!batch) return 0;
  const std::string text = portatlas::TrafficBatchJson(*batch);
  auto again = portatlas::ParseTrafficBatch(text);
  if (!again || portatlas::TrafficBatchJson(*again) != text) std::abort();
  return 0;
}
