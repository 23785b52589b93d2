// libFuzzer target for the agents' ingest body parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/ingest_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)portatlas::api::ParseIngestBody(std::string_view(reinterpret_cast<const char*>(data), size),
                                        "p", {"0"});
  return 0;
}
