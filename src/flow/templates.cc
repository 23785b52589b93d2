#include "flow/templates.h"

#include <fmt/format.h>

#include "flow/wire.h"

namespace portatlas::flow {
namespace {

// IANA IPFIX information elements (and their NetFlow v9 field types, the same numbers).
enum Ie : uint16_t {
  kOctetDelta = 1,
  kPacketDelta = 2,
  kProtocol = 4,
  kTcpControlBits = 6,
  kSrcPort = 7,
  kSrcV4 = 8,
  kDstPort = 11,
  kDstV4 = 12,
  kLastSwitched = 21,
  kFirstSwitched = 22,
  kOutBytes = 23,  // v9 OUT_BYTES; IPFIX postOctetDeltaCount (same direction: not used)
  kOutPkts = 24,
  kSrcV6 = 27,
  kDstV6 = 28,
  kSamplingInterval = 34,
  kSamplingAlgorithm = 35,
  kSamplerId = 48,  // v9 FLOW_SAMPLER_ID; IPFIX samplerId
  kSamplerRandomInterval = 50,
  kOctetTotal = 85,
  kPacketTotal = 86,
  kStartSeconds = 150,
  kEndSeconds = 151,
  kStartMillis = 152,
  kEndMillis = 153,
  kStartMicros = 154,
  kEndMicros = 155,
  kStartNanos = 156,
  kEndNanos = 157,
  kStartDeltaMicros = 158,
  kEndDeltaMicros = 159,
  kSystemInitMillis = 160,
  kUdpSrcPort = 180,
  kUdpDstPort = 181,
  kTcpSrcPort = 182,
  kTcpDstPort = 183,
  kSelectorId = 302,
  kSamplingPacketInterval = 305,
  kSamplingPacketSpace = 306,
};

bool IntLength(uint16_t n) { return n >= 1 && n <= 8; }

FieldAction CompileReverse(uint16_t ie, uint16_t length) {
  if (!IntLength(length)) return FieldAction::kSkip;
  if (ie == kOctetDelta || ie == kOctetTotal) return FieldAction::kRevBytes;
  if (ie == kPacketDelta || ie == kPacketTotal) return FieldAction::kRevPackets;
  return FieldAction::kSkip;
}

FieldAction CompileTime(Version version, uint16_t ie, uint16_t length) {
  switch (ie) {
    case kFirstSwitched:
    case kLastSwitched: {
      const bool first = ie == kFirstSwitched;
      // Some v9 exporters send 8-byte FIRST/LAST_SWITCHED: absolute Unix ms (nfdump#80).
      if (version == Version::kV9 && length == 8) {
        return first ? FieldAction::kStartMs : FieldAction::kEndMs;
      }
      if (length != 4) return FieldAction::kSkip;
      return first ? FieldAction::kFirstUptimeMs : FieldAction::kLastUptimeMs;
    }
    case kStartSeconds:
      return length == 4 ? FieldAction::kStartSec : FieldAction::kSkip;
    case kEndSeconds:
      return length == 4 ? FieldAction::kEndSec : FieldAction::kSkip;
    case kStartMillis:
      return length == 8 ? FieldAction::kStartMs : FieldAction::kSkip;
    case kEndMillis:
      return length == 8 ? FieldAction::kEndMs : FieldAction::kSkip;
    case kStartMicros:
    case kStartNanos:
      return length == 8 ? FieldAction::kStartNtp : FieldAction::kSkip;
    case kEndMicros:
    case kEndNanos:
      return length == 8 ? FieldAction::kEndNtp : FieldAction::kSkip;
    case kStartDeltaMicros:
      return length == 4 ? FieldAction::kStartDeltaUs : FieldAction::kSkip;
    case kEndDeltaMicros:
      return length == 4 ? FieldAction::kEndDeltaUs : FieldAction::kSkip;
    case kSystemInitMillis:
      return length == 8 ? FieldAction::kSysInitMs : FieldAction::kSkip;
    default:
      return FieldAction::kSkip;
  }
}

FieldAction CompileCounter(Version version, uint16_t ie, uint16_t length) {
  if (!IntLength(length)) return FieldAction::kSkip;
  switch (ie) {
    case kOctetDelta:
      return FieldAction::kBytes;
    case kPacketDelta:
      return FieldAction::kPackets;
    case kOctetTotal:
      return FieldAction::kTotalBytes;
    case kPacketTotal:
      return FieldAction::kTotalPackets;
    case kOutBytes:  // v9's OUT_BYTES is the other direction (elastic/beats#21648)
      return version == Version::kV9 ? FieldAction::kRevBytes : FieldAction::kSkip;
    case kOutPkts:
      return version == Version::kV9 ? FieldAction::kRevPackets : FieldAction::kSkip;
    case kSamplingInterval:
    case kSamplerRandomInterval:
      return FieldAction::kSamplingInterval;
    case kSamplingAlgorithm:
      return FieldAction::kSamplingAlgorithm;
    case kSamplerId:
    case kSelectorId:
      return FieldAction::kSamplerId;
    case kSamplingPacketInterval:
      return FieldAction::kPacketInterval;
    case kSamplingPacketSpace:
      return FieldAction::kPacketSpace;
    default:
      return FieldAction::kSkip;
  }
}

}  // namespace

FieldAction CompileField(Version version, uint16_t ie, uint32_t enterprise, uint16_t length) {
  if (enterprise == kReversePen) return CompileReverse(ie, length);
  if (enterprise != 0 || length == kVariableLength) return FieldAction::kSkip;
  switch (ie) {
    case kSrcV4:
      return length == 4 ? FieldAction::kSrcV4 : FieldAction::kSkip;
    case kDstV4:
      return length == 4 ? FieldAction::kDstV4 : FieldAction::kSkip;
    case kSrcV6:
      return length == 16 ? FieldAction::kSrcV6 : FieldAction::kSkip;
    case kDstV6:
      return length == 16 ? FieldAction::kDstV6 : FieldAction::kSkip;
    case kSrcPort:
    case kUdpSrcPort:
    case kTcpSrcPort:
      return length == 2 ? FieldAction::kSrcPort : FieldAction::kSkip;
    case kDstPort:
    case kUdpDstPort:
    case kTcpDstPort:
      return length == 2 ? FieldAction::kDstPort : FieldAction::kSkip;
    case kProtocol:
      return length == 1 ? FieldAction::kProto : FieldAction::kSkip;
    case kTcpControlBits:
      return length == 1 || length == 2 ? FieldAction::kTcpFlags : FieldAction::kSkip;
    default:
      break;
  }
  const FieldAction time = CompileTime(version, ie, length);
  return time != FieldAction::kSkip ? time : CompileCounter(version, ie, length);
}

namespace {

// Reads `count` field specifiers into t->fields.
Status ReadFields(Version version, ByteReader& in, uint16_t count, Template* t) {
  if (size_t{count} * 4 > in.remaining()) {
    return ParseError(
        fmt::format("template {}: {} fields in {} bytes", t->id, count, in.remaining()));
  }
  t->fields.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    TemplateField f;
    uint16_t ie = 0;
    if (!in.U16(&ie) || !in.U16(&f.length)) {
      return ParseError(
          fmt::format("template {}: field {} of {} is cut short", t->id, i + 1, count));
    }
    if (version == Version::kIpfix && (ie & 0x8000) != 0) {
      if (!in.U32(&f.enterprise)) {
        return ParseError(
            fmt::format("template {}: field {} lacks its enterprise number", t->id, i + 1));
      }
      ie &= 0x7fff;
    }
    f.ie = ie;
    if (version == Version::kV9 && (f.length == 0 || f.length == kVariableLength)) {
      return ParseError(fmt::format("template {}: field {} has length {}", t->id, i + 1, f.length));
    }
    f.action = CompileField(version, f.ie, f.enterprise, f.length);
    if (f.length == kVariableLength) {
      t->variable = true;
      t->min_length += 1;
    } else {
      t->min_length += f.length;
    }
    t->fields.push_back(f);
  }
  if (t->min_length == 0 || t->min_length > 65535) {
    return ParseError(fmt::format("template {}: a record of {} bytes", t->id, t->min_length));
  }
  return Status::Ok();
}

bool AllZero(const ByteReader& in) {
  for (size_t i = 0; i < in.remaining(); ++i) {
    if (in.here()[i] != 0) return false;
  }
  return true;
}

// One entry: returns false (and Ok) at trailing padding.
Result<bool> ReadEntry(Version version, bool options, ByteReader& in, TemplateEntry* e) {
  if (in.remaining() < 4 || AllZero(in)) return false;  // padding
  uint16_t id = 0;
  uint16_t count = 0;
  in.U16(&id);
  in.U16(&count);
  e->id = id;
  e->tmpl.id = id;
  e->tmpl.options = options;
  if (version == Version::kIpfix && count == 0) {  // withdrawal (RFC 7011 §8.1)
    if (id < 256 && id != 2 && id != 3) {
      return ParseError(fmt::format("withdrawal of template id {}", id));
    }
    e->withdraw = true;
    return true;
  }
  if (id < 256) return ParseError(fmt::format("template id {} is below 256", id));
  uint16_t scope = 0;
  if (options && version == Version::kV9) {
    // v9: `count` is the scope length in bytes, the next the option length in bytes.
    uint16_t option_bytes = 0;
    if (!in.U16(&option_bytes))
      return ParseError(fmt::format("options template {} is cut short", id));
    if (count % 4 != 0 || option_bytes % 4 != 0 || count + option_bytes == 0) {
      return ParseError(fmt::format("options template {}: scope {} and option {} bytes", id, count,
                                    option_bytes));
    }
    scope = static_cast<uint16_t>(count / 4);
    count = static_cast<uint16_t>(scope + option_bytes / 4);
  } else if (options) {
    // IPFIX: field count, then scope field count.
    if (!in.U16(&scope)) return ParseError(fmt::format("options template {} is cut short", id));
    if (scope == 0 || scope > count) {
      return ParseError(
          fmt::format("options template {}: {} scope fields of {}", id, scope, count));
    }
  } else if (count == 0) {
    return ParseError(fmt::format("template {} has no fields", id));
  }
  e->tmpl.scope_count = scope;
  PA_RETURN_IF_ERROR(ReadFields(version, in, count, &e->tmpl));
  return true;
}

}  // namespace

Status ParseTemplateSet(Version version, bool options, std::span<const uint8_t> body,
                        std::vector<TemplateEntry>* out) {
  ByteReader in(body);
  for (;;) {
    TemplateEntry e;
    auto more = ReadEntry(version, options, in, &e);
    if (!more) {
      if (e.id >= 256) {
        e.invalid = true;
        e.tmpl = Template{};
        out->push_back(std::move(e));
      }
      return more.error();
    }
    if (!*more) return Status::Ok();
    out->push_back(std::move(e));
  }
}

}  // namespace portatlas::flow
