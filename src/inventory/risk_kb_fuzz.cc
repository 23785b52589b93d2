// libFuzzer target for the risk knowledge base (TOML) loader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "inventory/risk_kb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto kb = portatlas::inventory::RiskKb::Parse(text, "fuzz.toml");
  if (kb) (void)kb->StatusOf(portatlas::Proto::kTcp, 22, "ssh");
  return 0;
}
