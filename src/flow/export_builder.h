// ExportBuilder: NetFlow v9 and IPFIX messages (and NetFlow v5 datagrams) byte by byte, for
// tests, fuzz seeds and the benchmark's sender. Test code: no checks beyond what it needs to
// fill in lengths and counts, so tests can also build broken messages on purpose.
#ifndef PORTATLAS_FLOW_EXPORT_BUILDER_H_
#define PORTATLAS_FLOW_EXPORT_BUILDER_H_

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "flow/flow_record.h"
#include "flow/templates.h"

namespace portatlas::flow {

struct FieldSpec {
  uint16_t ie;
  uint16_t length;
  uint32_t enterprise = 0;
};

class ExportBuilder {
 public:
  // A message header; v9's sys_uptime_ms is ignored for IPFIX.
  ExportBuilder(Version version, uint32_t export_secs, uint32_t sequence, uint32_t domain,
                uint32_t sys_uptime_ms = 0);

  ExportBuilder& Template(uint16_t id, std::initializer_list<FieldSpec> fields);
  ExportBuilder& OptionsTemplate(uint16_t id, std::initializer_list<FieldSpec> scope,
                                 std::initializer_list<FieldSpec> options);
  ExportBuilder& Withdraw(uint16_t id);  // IPFIX, in a template set (id 2 withdraws all)

  // A data set: BeginSet, then values, then EndSet (which fills the set length).
  ExportBuilder& BeginSet(uint16_t set_id);
  ExportBuilder& U(uint64_t value, size_t bytes);  // big-endian, 1-8 bytes
  ExportBuilder& Ip(std::string_view text);        // 4 or 16 bytes
  ExportBuilder& Raw(std::initializer_list<uint8_t> bytes);
  ExportBuilder& EndSet();

  // The message with its count (v9: records, counted by the caller's Records()) or length
  // (IPFIX) filled in.
  ExportBuilder& Records(uint16_t count);
  std::vector<uint8_t> Finish() const;

 private:
  void PutField(const FieldSpec& f);
  Version version_;
  std::vector<uint8_t> bytes_;
  size_t set_start_ = 0;
  uint16_t records_ = 0;
};

// A NetFlow v5 datagram of these records (addresses IPv4; times as uptime ms).
struct V5Record {
  std::string_view src;
  std::string_view dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t proto = kIpProtoTcp;
  uint8_t tcp_flags = 0;
  uint32_t packets = 0;
  uint32_t bytes = 0;
  uint32_t first_uptime_ms = 0;
  uint32_t last_uptime_ms = 0;
};
std::vector<uint8_t> BuildV5(uint32_t unix_secs, uint32_t sys_uptime_ms, uint32_t sequence,
                             uint16_t sampling_interval, const std::vector<V5Record>& records);

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_EXPORT_BUILDER_H_
