#include "flow/aggregator.h"

#include <algorithm>

#include "core/traffic_json.h"

namespace portatlas::flow {
namespace {

constexpr uint8_t kTcpAck = 0x10;

uint64_t SatAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

void AddCount(NamedCounts& counts, std::string_view name, uint64_t n) {
  for (auto& [k, v] : counts) {
    if (k == name) {
      v = SatAdd(v, n);
      return;
    }
  }
  if (counts.size() < kMaxNamedCounts) counts.emplace_back(std::string(name), n);
}

bool Before(const TrafficRecord& a, const TrafficRecord& b) {
  const Addr128 x = ToAddr128(a.ip);
  const Addr128 y = ToAddr128(b.ip);
  if (a.ip.family != b.ip.family) return a.ip.family < b.ip.family;
  if (x != y) return x < y;
  if (a.proto != b.proto) return a.proto < b.proto;
  if (a.port != b.port) return a.port < b.port;
  return a.bucket_ms < b.bucket_ms;
}

}  // namespace

FlowLabel ExportedFlowLabel(const FlowRecord& f) {
  if (f.ip_proto == kIpProtoTcp && f.tcp_flags != 0 && (f.tcp_flags & kTcpAck) == 0) {
    return {kUnknownProtocol, "tcp_not_establish", ""};
  }
  return {kUnknownProtocol, "no_payload", ""};
}

size_t Aggregator::KeyHash::operator()(const Key& k) const {
  const Addr128 a = ToAddr128(k.ip);
  uint64_t h = a.hi * 0x9e3779b97f4a7c15ull ^ a.lo;
  h = (h ^ (uint64_t{k.proto} << 16 | k.port)) * 0xff51afd7ed558ccdull;
  h ^= static_cast<uint64_t>(k.hour_ms) * 0xc4ceb9fe1a85ec53ull;
  return static_cast<size_t>(h ^ (h >> 29));
}

Aggregator::Aggregator(std::shared_ptr<const InternetRanges> internet,
                       std::shared_ptr<const WellKnownPorts> well_known)
    : internet_(std::move(internet)),
      well_known_(std::move(well_known)),
      listeners_(std::make_shared<ListenerSet>()) {}

void Aggregator::SetListeners(std::shared_ptr<const ListenerSet> listeners) {
  listeners_ = listeners ? std::move(listeners) : std::make_shared<ListenerSet>();
}

void Aggregator::Add(const FlowRecord& f, const FlowLabel& label, int64_t now_ms) {
  ++stats_.flows;
  if (f.ip_proto != kIpProtoTcp && f.ip_proto != kIpProtoUdp) {
    ++stats_.other_protocols;
    return;
  }
  const Proto proto = f.ip_proto == kIpProtoTcp ? Proto::kTcp : Proto::kUdp;
  const Orientation o = Orient(f, proto, *listeners_, *well_known_, internet_.get());
  const IpAddr& client = o.server_is_dst ? f.src : f.dst;
  if (!internet_->IsInternet(client)) {
    ++stats_.not_internet;
    return;
  }
  ++stats_.aggregated;
  const int64_t t = f.start_ms > 0 ? f.start_ms : now_ms;
  Key key{o.server_is_dst ? f.dst : f.src, static_cast<uint8_t>(proto),
          o.server_is_dst ? f.dst_port : f.src_port, t - ((t % kHourMs) + kHourMs) % kHourMs};
  auto [it, fresh] = entries_.try_emplace(key);
  TrafficRecord& r = it->second.record;
  if (fresh) {
    r.ip = key.ip;
    r.proto = proto;
    r.port = key.port;
    r.bucket_ms = key.hour_ms;
  }
  // Towards the server: the record's forward counters when the server is its destination.
  const uint64_t in_bytes = o.server_is_dst ? f.bytes : f.rev_bytes;
  const uint64_t in_packets = o.server_is_dst ? f.packets : f.rev_packets;
  r.bytes_in = SatAdd(r.bytes_in, in_bytes);
  r.packets_in = SatAdd(r.packets_in, in_packets);
  r.bytes_out = SatAdd(r.bytes_out, o.server_is_dst ? f.rev_bytes : f.bytes);
  r.packets_out = SatAdd(r.packets_out, o.server_is_dst ? f.rev_packets : f.packets);
  it->second.sources.Add(client);
  AddCount(r.protocols, label.protocol, SatAdd(f.bytes, f.rev_bytes));
  if (in_packets > 0) {
    r.flows = SatAdd(r.flows, 1);
    if (label.protocol == kUnknownProtocol && !label.unknown_reason.empty()) {
      AddCount(r.unknown, label.unknown_reason, 1);
    }
    if (!label.server_name.empty()) AddCount(r.server_names, label.server_name.substr(0, 255), 1);
  }
}

std::vector<TrafficRecord> Aggregator::Drain() {
  std::vector<TrafficRecord> out;
  out.reserve(entries_.size());
  for (auto& [key, e] : entries_) {
    e.record.sources = e.sources.Serialize();
    std::sort(e.record.protocols.begin(), e.record.protocols.end());
    std::sort(e.record.unknown.begin(), e.record.unknown.end());
    std::sort(e.record.server_names.begin(), e.record.server_names.end());
    out.push_back(std::move(e.record));
  }
  entries_.clear();
  std::sort(out.begin(), out.end(), Before);
  return out;
}

}  // namespace portatlas::flow
