// NetFlow v5: a 24-byte header and `count` fixed 48-byte IPv4 records (Cisco's format; the
// layout as softflowd's netflow5.c writes it).
#include <fmt/format.h>

#include "flow/decoder.h"
#include "flow/exporter_state.h"
#include "flow/wire.h"

namespace portatlas::flow {
namespace {

constexpr size_t kHeaderBytes = 24;
constexpr size_t kRecordBytes = 48;

FlowRecord ReadRecord(const uint8_t* p, uint32_t sys_uptime, int64_t export_ms, uint32_t sampling) {
  FlowRecord f;
  f.src.family = Family::kIpv4;
  f.dst.family = Family::kIpv4;
  std::copy(p, p + 4, f.src.bytes.begin());
  std::copy(p + 4, p + 8, f.dst.bytes.begin());
  f.packets = SaturatingMul(ReadBigEndian(p + 16, 4), sampling);
  f.bytes = SaturatingMul(ReadBigEndian(p + 20, 4), sampling);
  f.start_ms =
      UptimeToUnixMs(static_cast<uint32_t>(ReadBigEndian(p + 24, 4)), sys_uptime, export_ms);
  f.end_ms = UptimeToUnixMs(static_cast<uint32_t>(ReadBigEndian(p + 28, 4)), sys_uptime, export_ms);
  f.src_port = static_cast<uint16_t>(ReadBigEndian(p + 32, 2));
  f.dst_port = static_cast<uint16_t>(ReadBigEndian(p + 34, 2));
  f.tcp_flags = p[37];
  f.ip_proto = p[38];
  f.sampling = sampling;
  return f;
}

}  // namespace

Status FlowDecoder::DecodeV5(const IpAddr& exporter, std::span<const uint8_t> d, int64_t now_ms,
                             std::vector<FlowRecord>* out) {
  if (d.size() < kHeaderBytes) {
    return ParseError(fmt::format("NetFlow v5 header cut short ({} bytes)", d.size()));
  }
  const auto count = static_cast<size_t>(ReadBigEndian(d.data() + 2, 2));
  if (d.size() < kHeaderBytes + count * kRecordBytes) {
    return ParseError(fmt::format("NetFlow v5: {} records announced in {} bytes", count, d.size()));
  }
  const auto sys_uptime = static_cast<uint32_t>(ReadBigEndian(d.data() + 4, 4));
  const auto unix_secs = static_cast<int64_t>(ReadBigEndian(d.data() + 8, 4));
  const auto unix_nsecs = static_cast<int64_t>(ReadBigEndian(d.data() + 12, 4));
  const auto sequence = static_cast<uint32_t>(ReadBigEndian(d.data() + 16, 4));
  const auto engine = static_cast<uint32_t>(ReadBigEndian(d.data() + 20, 2));
  // The top two bits are the sampling mode, the other 14 the interval (0: not sampled).
  const auto interval = static_cast<uint32_t>(ReadBigEndian(d.data() + 22, 2) & 0x3fff);
  ExporterState* ex = StateFor({exporter, engine, 5}, now_ms);
  if (ex == nullptr) return Unavailable("too many exporters; this one's datagram is dropped");
  const uint32_t sampling = interval > 1 ? interval : 1;
  const int64_t export_ms =
      unix_secs * 1000 + std::min<int64_t>(unix_nsecs, 999'999'999) / 1'000'000;
  if (ex->have_sequence) {
    const uint32_t gap = sequence - ex->next_sequence;
    if (gap < (1u << 31)) stats_.lost_records += gap;
  }
  ex->have_sequence = true;
  ex->next_sequence = sequence + static_cast<uint32_t>(count);
  for (size_t i = 0; i < count; ++i) {
    out->push_back(
        ReadRecord(d.data() + kHeaderBytes + i * kRecordBytes, sys_uptime, export_ms, sampling));
  }
  stats_.flows += count;
  return Status::Ok();
}

}  // namespace portatlas::flow
