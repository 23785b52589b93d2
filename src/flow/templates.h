// Templates of NetFlow v9 (RFC 3954 §5.2, §6.1) and IPFIX (RFC 7011 §3.4): their wire form,
// checked, and compiled into what the data decoder does with each field.
//
// Both versions share one model: a template is an id (>= 256), a list of fields (information
// element, enterprise number, length; IPFIX's 65535 means variable length) and, for an options
// template, how many leading fields are scope fields. The compiled action of a field depends on
// the version where the two disagree (IE 21/22 and 23/24; 8-byte FIRST/LAST_SWITCHED).
#ifndef PORTATLAS_FLOW_TEMPLATES_H_
#define PORTATLAS_FLOW_TEMPLATES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"

namespace portatlas::flow {

enum class Version : uint8_t { kV9 = 9, kIpfix = 10 };

inline constexpr uint16_t kVariableLength = 65535;
// RFC 5103's reverse information elements: the forward IE number under this enterprise.
inline constexpr uint32_t kReversePen = 29305;

// What the data decoder does with one field.
enum class FieldAction : uint8_t {
  kSkip,
  kSrcV4,
  kDstV4,
  kSrcV6,
  kDstV6,
  kSrcPort,
  kDstPort,
  kProto,
  kTcpFlags,
  kBytes,
  kPackets,
  kTotalBytes,
  kTotalPackets,
  kRevBytes,
  kRevPackets,
  kFirstUptimeMs,
  kLastUptimeMs,  // ms of the exporter's uptime (v9 21/22, IPFIX 22/21)
  kStartSec,
  kEndSec,
  kStartMs,
  kEndMs,
  kStartNtp,
  kEndNtp,  // absolute
  kStartDeltaUs,
  kEndDeltaUs,  // µs before the export time (IPFIX 158/159)
  kSamplerId,
  kSamplingInterval,
  kSamplingAlgorithm,
  kPacketInterval,
  kPacketSpace,
  kSysInitMs,
};

struct TemplateField {
  uint16_t ie = 0;
  uint32_t enterprise = 0;
  uint16_t length = 0;  // kVariableLength: a length prefix in each record (IPFIX)
  FieldAction action = FieldAction::kSkip;
};

struct Template {
  uint16_t id = 0;
  bool options = false;
  uint16_t scope_count = 0;  // options templates: the leading scope fields
  std::vector<TemplateField> fields;
  bool variable = false;    // some field has a variable length
  size_t min_length = 0;    // one record's bytes with every variable field empty
  int64_t received_ms = 0;  // when the collector last received this definition
};

// One entry of a template or options template set, as read off the wire.
struct TemplateEntry {
  uint16_t id = 0;
  bool withdraw = false;  // IPFIX: field count 0; id 2 or 3 withdraws every template of the set
  bool invalid = false;   // a definition of `id` that does not parse (the last entry returned)
  Template tmpl;          // when neither
};

// Parses the body (after the 4-byte set header) of a template set (v9 set id 0, IPFIX 2) or an
// options template set (v9 1, IPFIX 3). Entries come out in wire order; trailing padding (fewer
// bytes than one entry header) is allowed. kParse on a truncated entry, a template id below
// 256, a v9 template without fields, a field of length 0 in v9, a template whose records would
// have no bytes or more than 65535, or a scope count larger than the field count. The entries
// before a bad one are returned in *out, then the bad one marked `invalid` when its id could be
// read (an invalid redefinition must not leave the old meaning in place); the error names what
// was wrong.
Status ParseTemplateSet(Version version, bool options, std::span<const uint8_t> body,
                        std::vector<TemplateEntry>* out);

// The action for (ie, enterprise, length) in this version; kSkip for anything not used.
FieldAction CompileField(Version version, uint16_t ie, uint32_t enterprise, uint16_t length);

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_TEMPLATES_H_
