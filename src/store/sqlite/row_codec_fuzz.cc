// libFuzzer target for the store's row decoders (hosts.ports and events.changes): a damaged
// database must give an error, never a crash. An input that decodes must encode back to JSON
// that decodes to the same rows, its strings repaired to valid UTF-8 (a row stored before the
// writers repaired strings may hold invalid bytes; it is served repaired).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/text.h"
#include "store/sqlite/row_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace portatlas::store;
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  HostRow host;
  host.project = "p";
  host.host_id = "h";
  std::vector<PortRow> ports;
  if (DecodePorts(json, host, &ports).ok()) {
    std::vector<PortRow> again;
    if (!DecodePorts(EncodePorts(ports), host, &again).ok() || again.size() != ports.size()) {
      std::abort();
    }
    for (size_t i = 0; i < ports.size(); ++i) {
      PortKey key = ports[i].key;
      key.laddr = portatlas::RepairUtf8(key.laddr);
      if (again[i].key != key || again[i].path != portatlas::RepairUtf8(ports[i].path) ||
          again[i].status != ports[i].status || again[i].last_seen_ms != ports[i].last_seen_ms) {
        std::abort();
      }
    }
  }
  std::vector<PortEvent> events;
  if (DecodeEvents(json, "p", "h", 1, &events).ok()) {
    std::vector<PortEvent> again;
    if (!DecodeEvents(EncodeEvents(events), "p", "h", 1, &again).ok() ||
        again.size() != events.size()) {
      std::abort();
    }
  }
  return 0;
}
