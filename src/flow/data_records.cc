#include <fmt/format.h>

#include <cstring>

#include "flow/exporter_state.h"
#include "flow/wire.h"

namespace portatlas::flow {

uint64_t SaturatingMul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

int64_t UptimeToUnixMs(uint32_t t, uint32_t sys_uptime, int64_t export_ms) {
  return export_ms - static_cast<int32_t>(sys_uptime - t);
}

namespace {

constexpr int64_t kNtpToUnixSeconds = 2'208'988'800;

// NTP timestamp format (RFC 5905): seconds since 1900 and a 32-bit fraction.
int64_t NtpToUnixMs(uint64_t v) {
  const auto seconds = static_cast<int64_t>(v >> 32) - kNtpToUnixSeconds;
  const auto fraction_ms = static_cast<int64_t>(((v & 0xffffffffu) * 1000) >> 32);
  return seconds * 1000 + fraction_ms;
}

// The facts of one data record before they are turned into a FlowRecord or applied as options.
struct RawRecord {
  FlowRecord flow;
  bool have_src = false;
  bool have_dst = false;
  bool have_bytes = false;
  bool have_packets = false;
  uint64_t total_bytes = 0;
  uint64_t total_packets = 0;
  bool have_first_uptime = false;
  bool have_last_uptime = false;
  uint32_t first_uptime = 0;
  uint32_t last_uptime = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  bool have_sampler = false;
  uint64_t sampler_id = 0;
  uint64_t interval = 0;
  uint64_t packet_interval = 0;
  uint64_t packet_space = 0;
  int64_t sys_init_ms = 0;
};

void SetAddr(IpAddr* a, Family family, const uint8_t* p, size_t n) {
  a->family = family;
  a->bytes = {};
  std::memcpy(a->bytes.data(), p, n);
}

void ApplyTime(FieldAction action, uint64_t v, const MessageContext& m, RawRecord& r) {
  switch (action) {
    case FieldAction::kFirstUptimeMs:
      r.have_first_uptime = true;
      r.first_uptime = static_cast<uint32_t>(v);
      break;
    case FieldAction::kLastUptimeMs:
      r.have_last_uptime = true;
      r.last_uptime = static_cast<uint32_t>(v);
      break;
    case FieldAction::kStartSec:
      r.start_ms = static_cast<int64_t>(v) * 1000;
      break;
    case FieldAction::kEndSec:
      r.end_ms = static_cast<int64_t>(v) * 1000;
      break;
    case FieldAction::kStartMs:
      r.start_ms = static_cast<int64_t>(v & 0x7fffffffffffffffu);
      break;
    case FieldAction::kEndMs:
      r.end_ms = static_cast<int64_t>(v & 0x7fffffffffffffffu);
      break;
    case FieldAction::kStartNtp:
      r.start_ms = NtpToUnixMs(v);
      break;
    case FieldAction::kEndNtp:
      r.end_ms = NtpToUnixMs(v);
      break;
    case FieldAction::kStartDeltaUs:
      r.start_ms = m.export_ms - static_cast<int64_t>(v / 1000);
      break;
    case FieldAction::kEndDeltaUs:
      r.end_ms = m.export_ms - static_cast<int64_t>(v / 1000);
      break;
    case FieldAction::kSysInitMs:
      r.sys_init_ms = static_cast<int64_t>(v & 0x7fffffffffffffffu);
      break;
    default:
      break;
  }
}

// One fixed-length integer field.
void ApplyInt(FieldAction action, uint64_t v, const MessageContext& m, RawRecord& r) {
  FlowRecord& f = r.flow;
  switch (action) {
    case FieldAction::kSrcPort:
      f.src_port = static_cast<uint16_t>(v);
      break;
    case FieldAction::kDstPort:
      f.dst_port = static_cast<uint16_t>(v);
      break;
    case FieldAction::kProto:
      f.ip_proto = static_cast<uint8_t>(v);
      break;
    case FieldAction::kTcpFlags:
      f.tcp_flags = static_cast<uint8_t>(v);
      break;
    case FieldAction::kBytes:
      f.bytes = v;
      r.have_bytes = true;
      break;
    case FieldAction::kPackets:
      f.packets = v;
      r.have_packets = true;
      break;
    case FieldAction::kTotalBytes:
      r.total_bytes = v;
      break;
    case FieldAction::kTotalPackets:
      r.total_packets = v;
      break;
    case FieldAction::kRevBytes:
      f.rev_bytes = v;
      break;
    case FieldAction::kRevPackets:
      f.rev_packets = v;
      break;
    case FieldAction::kSamplerId:
      r.have_sampler = true;
      r.sampler_id = v;
      break;
    case FieldAction::kSamplingInterval:
      r.interval = v;
      break;
    case FieldAction::kPacketInterval:
      r.packet_interval = v;
      break;
    case FieldAction::kPacketSpace:
      r.packet_space = v;
      break;
    default:
      ApplyTime(action, v, m, r);
      break;
  }
}

void ApplyField(const TemplateField& f, const uint8_t* p, const MessageContext& m, RawRecord& r) {
  switch (f.action) {
    case FieldAction::kSkip:
    case FieldAction::kSamplingAlgorithm:  // the rate is what scales counters, not how
      return;
    case FieldAction::kSrcV4:
      r.have_src = true;
      return SetAddr(&r.flow.src, Family::kIpv4, p, 4);
    case FieldAction::kDstV4:
      r.have_dst = true;
      return SetAddr(&r.flow.dst, Family::kIpv4, p, 4);
    case FieldAction::kSrcV6:
      r.have_src = true;
      return SetAddr(&r.flow.src, Family::kIpv6, p, 16);
    case FieldAction::kDstV6:
      r.have_dst = true;
      return SetAddr(&r.flow.dst, Family::kIpv6, p, 16);
    default:
      return ApplyInt(f.action, ReadBigEndian(p, f.length), m, r);
  }
}

// The sampling rate this record's facts announce; 0 when they announce none.
uint64_t AnnouncedRate(const RawRecord& r) {
  if (r.interval > 0) return r.interval;
  if (r.packet_interval > 0) return (r.packet_interval + r.packet_space) / r.packet_interval;
  return 0;
}

uint32_t ClampRate(uint64_t rate) {
  return rate == 0 ? 1 : static_cast<uint32_t>(std::min<uint64_t>(rate, UINT32_MAX));
}

void ApplyOptions(const RawRecord& r, ExporterState& ex) {
  if (r.sys_init_ms > 0) ex.sys_init_ms = r.sys_init_ms;
  const uint64_t rate = AnnouncedRate(r);
  if (rate == 0) return;
  if (r.have_sampler) {
    if (ex.samplers.size() < 4096 || ex.samplers.count(r.sampler_id) != 0) {
      ex.samplers[r.sampler_id] = ClampRate(rate);
    }
  } else {
    ex.default_sampling = ClampRate(rate);
  }
}

void SetTimes(const MessageContext& m, const ExporterState& ex, RawRecord& r) {
  FlowRecord& f = r.flow;
  f.start_ms = r.start_ms;
  f.end_ms = r.end_ms;
  if (!r.have_first_uptime && !r.have_last_uptime) return;
  const uint32_t first = r.have_first_uptime ? r.first_uptime : r.last_uptime;
  const uint32_t last = r.have_last_uptime ? r.last_uptime : r.first_uptime;
  if (m.version == Version::kV9) {
    if (f.start_ms == 0) f.start_ms = UptimeToUnixMs(first, m.sys_uptime_ms, m.export_ms);
    if (f.end_ms == 0) f.end_ms = UptimeToUnixMs(last, m.sys_uptime_ms, m.export_ms);
    return;
  }
  const int64_t init = r.sys_init_ms > 0 ? r.sys_init_ms : ex.sys_init_ms;
  if (init > 0) {
    if (f.start_ms == 0) f.start_ms = init + first;
    if (f.end_ms == 0) f.end_ms = init + last;
  } else {  // no system init time: end at the export, keep the duration
    if (f.end_ms == 0) f.end_ms = m.export_ms;
    if (f.start_ms == 0) f.start_ms = f.end_ms - static_cast<int32_t>(last - first);
  }
}

void FinishFlow(const MessageContext& m, const ExporterState& ex, RawRecord& r,
                std::vector<FlowRecord>* out, RecordCounts* counts) {
  if (!r.have_src || !r.have_dst) {
    ++counts->without_addresses;
    return;
  }
  FlowRecord& f = r.flow;
  if (!r.have_bytes) f.bytes = r.total_bytes;
  if (!r.have_packets) f.packets = r.total_packets;
  uint64_t rate = AnnouncedRate(r);
  if (rate == 0 && r.have_sampler) {
    auto it = ex.samplers.find(r.sampler_id);
    rate = it != ex.samplers.end() ? it->second : ex.default_sampling;
  }
  f.sampling = rate == 0 ? ex.default_sampling : ClampRate(rate);
  if (f.sampling > 1) {
    f.bytes = SaturatingMul(f.bytes, f.sampling);
    f.packets = SaturatingMul(f.packets, f.sampling);
    f.rev_bytes = SaturatingMul(f.rev_bytes, f.sampling);
    f.rev_packets = SaturatingMul(f.rev_packets, f.sampling);
  }
  SetTimes(m, ex, r);
  out->push_back(f);
  ++counts->flows;
}

// The length of a variable-length field at `in` (RFC 7011 §7: one byte, or 255 and two bytes).
bool VariableLength(ByteReader& in, size_t* n) {
  uint8_t first = 0;
  if (!in.U8(&first)) return false;
  if (first < 255) {
    *n = first;
    return true;
  }
  uint16_t wide = 0;
  if (!in.U16(&wide)) return false;
  *n = wide;
  return true;
}

}  // namespace

Status DecodeRecords(const Template& t, const MessageContext& m, std::span<const uint8_t> body,
                     ExporterState& ex, std::vector<FlowRecord>* out, RecordCounts* counts) {
  ByteReader in(body);
  while (in.remaining() >= t.min_length) {
    RawRecord r;
    for (const TemplateField& f : t.fields) {
      size_t n = f.length;
      if (f.length == kVariableLength && !VariableLength(in, &n)) {
        return ParseError(fmt::format("template {}: a variable-length field is cut short", t.id));
      }
      std::span<const uint8_t> value;
      if (!in.Bytes(n, &value)) {
        return ParseError(fmt::format("template {}: a record is cut short", t.id));
      }
      if (f.length != kVariableLength) ApplyField(f, value.data(), m, r);
    }
    ++counts->data_records;
    if (t.options) {
      ApplyOptions(r, ex);
      ++counts->option_records;
    } else {
      FinishFlow(m, ex, r, out, counts);
    }
  }
  return Status::Ok();
}

}  // namespace portatlas::flow
