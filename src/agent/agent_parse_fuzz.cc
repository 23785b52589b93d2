// Fuzz target for what the agent parses from outside: --server URLs, machine-id files and the
// server's answers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/identity.h"
#include "agent/report.h"
#include "net/server_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto url = portatlas::net::ParseServerUrl(text); url && text.size() < 2000) {
    // A parsed URL must render and parse back to itself (rendering adds the port, so very long
    // inputs could pass the length limit only once).
    auto again = portatlas::net::ParseServerUrl(url->ToString());
    if (!again || !(*again == *url)) __builtin_trap();
  }
  (void)portatlas::agent::ParseMachineId(text);
  (void)portatlas::agent::SummarizeIngestResponse(text);
  return 0;
}
