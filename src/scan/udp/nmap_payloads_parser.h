// The nmap-payloads syntax (see udp_payloads.h), apart from the table that stores what it reads.
// Internal to the udp library; UdpPayloads is the interface.
#ifndef PORTATLAS_SCAN_UDP_NMAP_PAYLOADS_PARSER_H_
#define PORTATLAS_SCAN_UDP_NMAP_PAYLOADS_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace portatlas::scan {

struct NmapPayloadEntry {
  size_t line = 0;              // where the entry's "udp" is
  std::vector<uint16_t> ports;  // sorted, unique
  std::vector<uint8_t> payload;
};

struct NmapPayloadsLimits {
  size_t max_line_length = 1024;
  size_t max_payload_bytes = 65507;
};

// Calls on_entry for each well-formed entry, in file order, and on_warning(line, message) for
// each entry skipped ("unterminated string; entry skipped"). Pure; never fails as a whole.
void ParseNmapPayloads(std::string_view text, const NmapPayloadsLimits& limits,
                       const std::function<void(const NmapPayloadEntry&)>& on_entry,
                       const std::function<void(size_t, std::string_view)>& on_warning);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_UDP_NMAP_PAYLOADS_PARSER_H_
