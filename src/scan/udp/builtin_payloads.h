// The UDP payloads portatlas carries itself, for hosts without nmap's payload database. Each is
// a harmless, standard request that a listening service answers.
#ifndef PORTATLAS_SCAN_UDP_BUILTIN_PAYLOADS_H_
#define PORTATLAS_SCAN_UDP_BUILTIN_PAYLOADS_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace portatlas::scan {

struct BuiltinPayload {
  uint16_t port;
  std::string_view name;  // "dns-version-bind", ...
  std::vector<uint8_t> bytes;
};

// Built once; sorted by port.
const std::vector<BuiltinPayload>& BuiltinPayloads();

// The pieces, exposed for tests.
// A DNS query with one question (`qname` as dotted labels, no trailing dot).
std::vector<uint8_t> DnsQuery(uint16_t id, std::string_view qname, uint16_t qtype, uint16_t qclass);
// An SNMPv1 GetRequest for one OID (as arcs, e.g. 1.3.6.1.2.1.1.1.0), value NULL, BER encoded.
std::vector<uint8_t> SnmpV1Get(std::string_view community, int32_t request_id,
                               std::span<const uint32_t> oid);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_UDP_BUILTIN_PAYLOADS_H_
