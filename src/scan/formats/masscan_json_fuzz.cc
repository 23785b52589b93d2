// libFuzzer target for the masscan JSON reader: it never crashes, and what it returns holds
// together (one record per port, known states, well-formed hashes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <tuple>

#include "core/text.h"
#include "scan/formats/masscan_json_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace portatlas::scan;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto all = ReadMasscanJson(text, {.keep_all_states = true});
  const auto open = ReadMasscanJson(text);
  if (all.has_value() != open.has_value()) std::abort();
  if (!all) return 0;
  std::set<std::tuple<std::string, portatlas::Proto, uint16_t>> keys;
  for (const ScanRecord& r : all->records) {
    if (r.state != "open" && r.state != "closed") std::abort();
    if (!r.banner_hash.empty() && !portatlas::IsHexOfLength(r.banner_hash, 64)) std::abort();
    if (r.reason_ttl < 0 || r.reason_ttl > 255 || r.updated_at_ms < 0) std::abort();
    if (r.updated_at_ms != 0 &&
        (r.updated_at_ms < all->start_ms || r.updated_at_ms > all->end_ms)) {
      std::abort();
    }
    if (!keys.emplace(r.ip.ToString(), r.proto, r.port).second) std::abort();
  }
  size_t open_count = 0;
  for (const ScanRecord& r : all->records) open_count += r.state == "open";
  if (open->records.size() != open_count) std::abort();
  return 0;
}
