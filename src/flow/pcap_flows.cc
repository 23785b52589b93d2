#include "flow/pcap_flows.h"

#include <algorithm>
#include <vector>

namespace portatlas::flow {
namespace {

constexpr uint8_t kFin = 0x01;
constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kRst = 0x04;
constexpr uint8_t kAck = 0x10;

bool Less(const IpAddr& x, uint16_t xp, const IpAddr& y, uint16_t yp) {
  if (x.family != y.family) return x.family < y.family;
  if (x.bytes != y.bytes) return x.bytes < y.bytes;
  return xp < yp;
}

}  // namespace

struct FlowBuilder::State {
  IpAddr init;  // the initiator (FlowRecord src)
  IpAddr resp;
  uint16_t init_port = 0;
  uint16_t resp_port = 0;
  uint8_t proto = 0;
  uint64_t bytes[2] = {0, 0};  // [0] from the initiator, [1] towards it
  uint64_t packets[2] = {0, 0};
  uint64_t payload[2] = {0, 0};
  uint8_t flags[2] = {0, 0};
  bool synack = false;     // the responder answered a SYN
  bool handshake = false;  // and the initiator acknowledged it
  bool fin[2] = {false, false};
  bool rst = false;
  int64_t first_ms = 0;
  int64_t last_ms = 0;
  int dpi_packets = 0;
  NdpiClassifier::Flow dpi;
};

size_t FlowBuilder::KeyHash::operator()(const Key& k) const {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : k.a.bytes) h = (h ^ b) * 1099511628211ull;
  for (uint8_t b : k.b.bytes) h = (h ^ b) * 1099511628211ull;
  h = (h ^ (uint64_t{k.a_port} << 24 | uint64_t{k.b_port} << 8 | k.proto)) * 1099511628211ull;
  return static_cast<size_t>(h);
}

FlowBuilder::FlowBuilder(NdpiClassifier& dpi, FlowBuilderOptions options, Emit emit)
    : dpi_(dpi), options_(options), emit_(std::move(emit)) {}

FlowBuilder::~FlowBuilder() = default;

void FlowBuilder::Add(const PacketInfo& p, int64_t time_ms) {
  ++stats_.packets;
  const bool src_first = Less(p.src, p.src_port, p.dst, p.dst_port);
  Key key{src_first ? p.src : p.dst, src_first ? p.dst : p.src, src_first ? p.src_port : p.dst_port,
          src_first ? p.dst_port : p.src_port, p.ip_proto};
  auto it = flows_.find(key);
  if (it != flows_.end() && Expired(*it->second, time_ms)) {
    End(*it->second);
    flows_.erase(it);
    it = flows_.end();
  }
  if (it == flows_.end()) {
    if (flows_.size() >= options_.max_flows) {
      auto oldest = std::min_element(
          flows_.begin(), flows_.end(),
          [](const auto& x, const auto& y) { return x.second->first_ms < y.second->first_ms; });
      End(*oldest->second);
      flows_.erase(oldest);
      ++stats_.ended_early;
    }
    auto s = std::make_unique<State>();
    // A SYN-ACK first: the capture began mid-handshake; its receiver initiated.
    const bool reply_first =
        p.ip_proto == kIpProtoTcp && (p.tcp_flags & (kSyn | kAck)) == (kSyn | kAck);
    s->init = reply_first ? p.dst : p.src;
    s->resp = reply_first ? p.src : p.dst;
    s->init_port = reply_first ? p.dst_port : p.src_port;
    s->resp_port = reply_first ? p.src_port : p.dst_port;
    s->proto = p.ip_proto;
    s->first_ms = time_ms;
    it = flows_.emplace(key, std::move(s)).first;
  }
  State& s = *it->second;
  const int dir = p.src == s.init && p.src_port == s.init_port ? 0 : 1;
  s.bytes[dir] += p.ip_bytes;
  ++s.packets[dir];
  s.payload[dir] += p.payload_bytes;
  s.flags[dir] |= p.tcp_flags;
  s.last_ms = std::max(s.last_ms, time_ms);
  if (p.ip_proto == kIpProtoTcp) {
    if (dir == 1 && (p.tcp_flags & (kSyn | kAck)) == (kSyn | kAck)) s.synack = true;
    if (dir == 0 && s.synack && (p.tcp_flags & kSyn) == 0 && (p.tcp_flags & kAck) != 0) {
      s.handshake = true;
    }
    if ((p.tcp_flags & kFin) != 0) s.fin[dir] = true;
    if ((p.tcp_flags & kRst) != 0) s.rst = true;
  }
  if (!s.dpi.done() && s.dpi_packets < options_.max_dpi_packets) {
    ++s.dpi_packets;
    dpi_.Process(s.dpi, p.l3, time_ms);
  }
}

bool FlowBuilder::Expired(const State& s, int64_t now_ms) const {
  const int64_t idle =
      s.proto == kIpProtoTcp ? options_.tcp_idle_timeout_ms : options_.idle_timeout_ms;
  if (now_ms - s.last_ms > idle) return true;
  if (now_ms - s.first_ms > options_.active_timeout_ms) return true;
  const bool closed = s.rst || (s.fin[0] && s.fin[1]);
  return closed && now_ms - s.last_ms > options_.closed_linger_ms;
}

void FlowBuilder::End(State& s) {
  // nDPI's port guess only for a flow that carried payload: a bare handshake stays no_payload.
  const NdpiClassifier::Result id = dpi_.Finish(s.dpi, s.payload[0] + s.payload[1] > 0);
  FlowRecord f;
  f.src = s.init;
  f.dst = s.resp;
  f.src_port = s.init_port;
  f.dst_port = s.resp_port;
  f.ip_proto = s.proto;
  f.tcp_flags = s.flags[0];
  f.bytes = s.bytes[0];
  f.packets = s.packets[0];
  f.rev_bytes = s.bytes[1];
  f.rev_packets = s.packets[1];
  f.start_ms = s.first_ms;
  f.end_ms = s.last_ms;
  FlowLabel label;
  label.server_name = id.server_name;
  // A SYN-ACK seen but no ACK back, or no SYN-ACK at all: the handshake never completed.
  const bool saw_syn = ((s.flags[0] | s.flags[1]) & kSyn) != 0;
  if (!id.protocol.empty()) {
    label.protocol = id.protocol;
  } else if (s.proto == kIpProtoTcp && saw_syn && !s.handshake) {
    label.unknown_reason = "tcp_not_establish";
  } else if (s.payload[0] + s.payload[1] == 0) {
    label.unknown_reason = "no_payload";
  } else if (s.payload[0] > 0 && s.payload[1] > 0) {
    label.unknown_reason = "unknown_strict";
  } else {
    label.unknown_reason = "unknown_loose";
  }
  ++stats_.flows;
  emit_(f, label);
}

void FlowBuilder::Expire(int64_t now_ms) {
  for (auto it = flows_.begin(); it != flows_.end();) {
    if (Expired(*it->second, now_ms)) {
      End(*it->second);
      it = flows_.erase(it);
    } else {
      ++it;
    }
  }
}

void FlowBuilder::Flush() {
  // In start order, so that output does not depend on the hash table's.
  std::vector<State*> all;
  all.reserve(flows_.size());
  for (auto& [k, s] : flows_) all.push_back(s.get());
  std::sort(all.begin(), all.end(),
            [](const State* x, const State* y) { return x->first_ms < y->first_ms; });
  for (State* s : all) End(*s);
  flows_.clear();
}

}  // namespace portatlas::flow
