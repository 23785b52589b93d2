// libFuzzer target for the nmap-payloads parser: it never crashes, warnings stay bounded, and
// every port's payloads keep the table's limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "scan/udp/udp_payloads.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using portatlas::scan::UdpPayloads;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = UdpPayloads::FromNmapPayloads(text);
  if (!parsed) {
    if (size <= UdpPayloads::kMaxFileBytes) std::abort();
    return 0;
  }
  if (parsed->warnings().size() > UdpPayloads::kMaxWarnings + 1) std::abort();
  // Every well-known port and a spread of the rest (all 65536 would slow the fuzzer tenfold).
  for (uint32_t port = 0; port <= 65535; port += port < 1024 ? 1 : 127) {
    const auto payloads = parsed->ForPort(static_cast<uint16_t>(port));
    if (payloads.empty() || payloads.size() > UdpPayloads::kMaxPayloadsPerPort) std::abort();
    if (!parsed->HasPayloads(static_cast<uint16_t>(port)) &&
        (payloads.size() != 1 || !payloads[0].empty())) {
      std::abort();
    }
    for (const auto& p : payloads) {
      if (p.size() > UdpPayloads::kMaxPayloadBytes) std::abort();
    }
  }
  return 0;
}
