#include "flow/decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "flow/exporter_state.h"
#include "flow/wire.h"

namespace portatlas::flow {
namespace {

constexpr size_t kV9HeaderBytes = 20;
constexpr size_t kIpfixHeaderBytes = 16;

struct SetIds {
  uint16_t templates;
  uint16_t options;
};
SetIds IdsOf(Version v) { return v == Version::kV9 ? SetIds{0, 1} : SetIds{2, 3}; }

std::string_view VersionName(Version v) { return v == Version::kV9 ? "NetFlow v9" : "IPFIX"; }

// The records or packets lost before `seq`, from what the exporter's last message led us to
// expect; a step back is a restart or reordering, not a loss.
uint64_t Gap(const ExporterState& ex, uint32_t seq) {
  if (!ex.have_sequence) return 0;
  const uint32_t gap = seq - ex.next_sequence;
  return gap < (1u << 31) ? gap : 0;
}

}  // namespace

size_t FlowDecoder::KeyHash::operator()(const Key& k) const {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : k.addr.bytes) h = (h ^ b) * 1099511628211ull;
  h = (h ^ k.domain) * 1099511628211ull;
  h = (h ^ k.version) * 1099511628211ull;
  return static_cast<size_t>(h ^ static_cast<uint8_t>(k.addr.family));
}

FlowDecoder::FlowDecoder(DecoderOptions options) : options_(options) {}
FlowDecoder::~FlowDecoder() = default;

ExporterState* FlowDecoder::StateFor(const Key& key, int64_t now_ms) {
  auto it = exporters_.find(key);
  if (it == exporters_.end()) {
    if (exporters_.size() >= options_.max_exporters) {
      ++stats_.exporters_refused;
      return nullptr;
    }
    it = exporters_.emplace(key, std::make_unique<ExporterState>()).first;
  }
  it->second->last_seen_ms = now_ms;
  return it->second.get();
}

Status FlowDecoder::Decode(const IpAddr& exporter, std::span<const uint8_t> datagram,
                           int64_t now_ms, std::vector<FlowRecord>* out) {
  ++stats_.packets;
  Status st;
  const uint16_t version =
      datagram.size() >= 2 ? static_cast<uint16_t>(ReadBigEndian(datagram.data(), 2)) : 0;
  if (datagram.size() < 2) {
    st = ParseError(fmt::format("a datagram of {} bytes", datagram.size()));
  } else if (version == 5) {
    st = DecodeV5(exporter, datagram, now_ms, out);
  } else if (version == 9 || version == 10) {
    st = DecodeTemplated(exporter, version == 9 ? Version::kV9 : Version::kIpfix, datagram, now_ms,
                         out);
  } else {
    st = ParseError(fmt::format("not NetFlow v5/v9 or IPFIX (version {})", version));
  }
  if (!st.ok()) ++stats_.bad_packets;
  return st;
}

Status FlowDecoder::DecodeTemplated(const IpAddr& exporter, Version version,
                                    std::span<const uint8_t> datagram, int64_t now_ms,
                                    std::vector<FlowRecord>* out) {
  const size_t header = version == Version::kV9 ? kV9HeaderBytes : kIpfixHeaderBytes;
  if (datagram.size() < header) {
    return ParseError(
        fmt::format("{} header cut short ({} bytes)", VersionName(version), datagram.size()));
  }
  ByteReader in(datagram.subspan(2));
  MessageContext m;
  m.version = version;
  m.now_ms = now_ms;
  uint16_t count_or_length = 0;
  uint32_t unix_secs = 0;
  uint32_t sequence = 0;
  uint32_t domain = 0;
  in.U16(&count_or_length);
  if (version == Version::kV9) in.U32(&m.sys_uptime_ms);
  in.U32(&unix_secs);
  in.U32(&sequence);
  in.U32(&domain);
  m.export_ms = int64_t{unix_secs} * 1000;
  std::span<const uint8_t> sets = datagram.subspan(header);
  if (version == Version::kIpfix) {  // the message length, not the datagram's, bounds the sets
    if (count_or_length < header || count_or_length > datagram.size()) {
      return ParseError(fmt::format("IPFIX message length {} in a datagram of {} bytes",
                                    count_or_length, datagram.size()));
    }
    sets = datagram.subspan(header, count_or_length - header);
  }
  ExporterState* ex = StateFor({exporter, domain, static_cast<uint8_t>(version)}, now_ms);
  if (ex == nullptr) return Unavailable("too many exporters; this one's datagram is dropped");
  DropStaleHeld(*ex, now_ms);
  (version == Version::kV9 ? stats_.lost_packets : stats_.lost_records) += Gap(*ex, sequence);
  uint64_t records = 0;
  bool held = false;
  Status st = DecodeSets(m, *ex, sets, out, &records, &held);
  // A held set's record count is unknown until its template comes: skip the next gap check.
  ex->have_sequence = !held;
  ex->next_sequence =
      version == Version::kV9 ? sequence + 1 : sequence + static_cast<uint32_t>(records);
  return st;
}

Status FlowDecoder::DecodeSets(const MessageContext& m, ExporterState& ex,
                               std::span<const uint8_t> sets, std::vector<FlowRecord>* out,
                               uint64_t* records, bool* held) {
  const SetIds ids = IdsOf(m.version);
  ByteReader in(sets);
  while (in.remaining() >= 4) {
    uint16_t id = 0;
    uint16_t length = 0;
    in.U16(&id);
    in.U16(&length);
    if (length < 4 || length - 4u > in.remaining()) {
      return ParseError(fmt::format("{}: set {} of length {} with {} bytes left",
                                    VersionName(m.version), id, length, in.remaining() + 4));
    }
    std::span<const uint8_t> body;
    in.Bytes(length - 4u, &body);
    if (id == ids.templates || id == ids.options) {
      PA_RETURN_IF_ERROR(InstallTemplates(m, ex, id == ids.options, body, out));
    } else if (id >= 256) {
      bool decoded = true;
      PA_RETURN_IF_ERROR(DecodeData(m, ex, id, body, out, records, &decoded));
      *held |= !decoded;
    } else {
      ++stats_.sets_skipped;
    }
  }
  return Status::Ok();  // fewer than 4 bytes left: padding
}

const Template* FlowDecoder::FindTemplate(ExporterState& ex, uint16_t id, int64_t now_ms) {
  auto it = ex.templates.find(id);
  if (it == ex.templates.end()) return nullptr;
  if (now_ms - it->second.received_ms > options_.template_lifetime_ms) {
    ex.templates.erase(it);
    ++stats_.templates_expired;
    return nullptr;
  }
  return &it->second;
}

Status FlowDecoder::InstallTemplates(const MessageContext& m, ExporterState& ex, bool options,
                                     std::span<const uint8_t> body, std::vector<FlowRecord>* out) {
  std::vector<TemplateEntry> entries;
  Status st = ParseTemplateSet(m.version, options, body, &entries);
  for (TemplateEntry& e : entries) {
    if (e.invalid) {  // a redefinition that does not parse removes the old one too (go-ipfix#383)
      ex.templates.erase(e.id);
      continue;
    }
    if (e.withdraw) {
      const size_t before = ex.templates.size();
      if (e.id >= 256) {
        ex.templates.erase(e.id);
      } else {  // id 2 or 3: every template of that kind (RFC 7011 §8.1)
        std::erase_if(ex.templates, [&](const auto& kv) { return kv.second.options == options; });
      }
      stats_.templates_withdrawn += before - ex.templates.size();
      continue;
    }
    if (ex.templates.size() >= options_.max_templates_per_exporter &&
        ex.templates.count(e.id) == 0) {
      ++stats_.templates_refused;
      continue;
    }
    e.tmpl.received_ms = m.now_ms;
    ex.templates[e.id] = std::move(e.tmpl);
    ++stats_.templates;
    ReleaseHeld(ex, e.id, out);
  }
  if (!st.ok()) ++stats_.templates_refused;
  return st;
}

Status FlowDecoder::DecodeData(const MessageContext& m, ExporterState& ex, uint16_t set_id,
                               std::span<const uint8_t> body, std::vector<FlowRecord>* out,
                               uint64_t* records, bool* decoded) {
  const Template* t = FindTemplate(ex, set_id, m.now_ms);
  if (t == nullptr) {
    Hold(m, ex, set_id, body);
    *decoded = false;
    return Status::Ok();
  }
  RecordCounts counts;
  Status st = DecodeRecords(*t, m, body, ex, out, &counts);
  stats_.flows += counts.flows;
  stats_.option_records += counts.option_records;
  stats_.records_without_addresses += counts.without_addresses;
  *records += counts.data_records;
  return st;
}

void FlowDecoder::Hold(const MessageContext& m, ExporterState& ex, uint16_t set_id,
                       std::span<const uint8_t> body) {
  if (body.empty()) return;
  if (pending_bytes_ + body.size() > options_.pending_max_bytes) {
    ++stats_.pending_dropped;
    return;
  }
  ex.held.push_back({set_id, m, std::vector<uint8_t>(body.begin(), body.end())});
  ex.held_bytes += body.size();
  pending_bytes_ += body.size();
  ++stats_.pending_held;
}

void FlowDecoder::ReleaseHeld(ExporterState& ex, uint16_t template_id,
                              std::vector<FlowRecord>* out) {
  if (ex.held.empty()) return;
  std::deque<HeldSet> keep;
  std::deque<HeldSet> ready;
  for (HeldSet& h : ex.held) (h.template_id == template_id ? ready : keep).push_back(std::move(h));
  ex.held = std::move(keep);
  const Template& t = ex.templates.at(template_id);
  for (HeldSet& h : ready) {
    ex.held_bytes -= h.body.size();
    pending_bytes_ -= h.body.size();
    RecordCounts counts;
    // A held set that turns out damaged loses only itself.
    (void)DecodeRecords(t, h.context, h.body, ex, out, &counts);
    stats_.flows += counts.flows;
    stats_.option_records += counts.option_records;
    stats_.records_without_addresses += counts.without_addresses;
    ++stats_.pending_decoded;
  }
}

void FlowDecoder::DropStaleHeld(ExporterState& ex, int64_t now_ms) {
  while (!ex.held.empty() && now_ms - ex.held.front().context.now_ms > options_.pending_hold_ms) {
    ex.held_bytes -= ex.held.front().body.size();
    pending_bytes_ -= ex.held.front().body.size();
    ex.held.pop_front();
    ++stats_.pending_dropped;
  }
}

void FlowDecoder::Expire(int64_t now_ms) {
  for (auto it = exporters_.begin(); it != exporters_.end();) {
    DropStaleHeld(*it->second, now_ms);
    if (now_ms - it->second->last_seen_ms > options_.template_lifetime_ms) {
      pending_bytes_ -= it->second->held_bytes;
      stats_.pending_dropped += it->second->held.size();
      it = exporters_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace portatlas::flow
