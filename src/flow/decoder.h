// FlowDecoder: NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) datagrams to FlowRecords.
//
// State is kept per exporter: an exporter is (source address, v9 source id or IPFIX observation
// domain, version). The source port is not part of it, as in nfdump: an exporter that sends
// its options from another socket than its data still has its sampling applied (goflow2#207).
// Per exporter the decoder keeps
//   * templates and options templates in one id space; a new definition replaces the old one,
//     an invalid one removes it; IPFIX withdrawals (one id, or all of a set's kind) are obeyed;
//     a definition not refreshed for `template_lifetime_ms` expires (UDP has no session end);
//   * data sets that arrive before their template, copied and held up to `pending_hold_ms`
//     within a byte budget shared by all exporters, decoded in arrival order when the template
//     comes (the usual complaint against collectors is data dropped for half an hour until the
//     exporter resends its templates);
//   * sampling announced in options data (v9 SAMPLING_INTERVAL, IPFIX samplingInterval or
//     samplingPacketInterval/Space, per sampler or selector id, or for the whole exporter) and
//     the v5 header's sampling interval; counters are multiplied by the rate;
//   * systemInitTimeMilliseconds, which IPFIX uptime-relative times (IE 21/22) need;
//   * the sequence numbers, to count what was lost on the way (v5 and IPFIX count records,
//     v9 packets).
//
// Times: v5 and v9 uptimes are turned into Unix ms through the header's sysUptime and
// unix_secs (modulo 2^32, so the 49.7-day wrap is handled); 8-byte v9 FIRST/LAST_SWITCHED are
// taken as absolute ms; IPFIX absolute seconds, milliseconds, micro- and nanoseconds (NTP
// format) and delta microseconds before the export time are all read. An IPFIX exporter that
// sends uptime-relative times but no systemInitTimeMilliseconds gets its flows ending at the
// export time with their duration kept.
//
// Not thread-safe: one decoder per receiving thread.
#ifndef PORTATLAS_FLOW_DECODER_H_
#define PORTATLAS_FLOW_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "flow/flow_record.h"
#include "flow/templates.h"

namespace portatlas::flow {

struct DecoderOptions {
  int64_t template_lifetime_ms = 1'800'000;  // RFC 7011 §8.4 for UDP; IPFIXcol2's default
  int64_t pending_hold_ms = 60'000;
  size_t pending_max_bytes = 16u << 20;  // all exporters together
  size_t max_exporters = 4096;
  size_t max_templates_per_exporter = 4096;
};

// Counters since the decoder was made; every datagram, record and set the decoder did not turn
// into flows is counted in one of them.
struct DecoderStats {
  uint64_t packets = 0;                    // datagrams given to Decode
  uint64_t bad_packets = 0;                // refused whole or in part (Decode returned an error)
  uint64_t flows = 0;                      // flow records produced
  uint64_t option_records = 0;             // options data records applied
  uint64_t records_without_addresses = 0;  // data records with no source or destination address
  uint64_t templates = 0;                  // definitions installed (new or refreshed)
  uint64_t templates_withdrawn = 0;
  uint64_t templates_expired = 0;
  uint64_t templates_refused = 0;  // invalid, or past max_templates_per_exporter
  uint64_t sets_skipped = 0;       // reserved set ids
  uint64_t pending_held = 0;       // data sets held for their template
  uint64_t pending_decoded = 0;    // held sets decoded when their template came
  uint64_t pending_dropped = 0;    // held too long, or over the byte budget
  uint64_t lost_records = 0;       // v5 and IPFIX sequence gaps
  uint64_t lost_packets = 0;       // v9 sequence gaps
  uint64_t exporters_refused = 0;  // datagrams from a new exporter past max_exporters
};

struct ExporterState;
struct MessageContext;

class FlowDecoder {
 public:
  explicit FlowDecoder(DecoderOptions options = {});
  ~FlowDecoder();
  FlowDecoder(const FlowDecoder&) = delete;
  FlowDecoder& operator=(const FlowDecoder&) = delete;

  // Decodes one datagram received from `exporter` at `now_ms` (the collector's Unix ms, used
  // for template lifetime and the pending hold) and appends its flows to *out (held data sets
  // that its templates complete included). kParse when the datagram is not a NetFlow v5/v9 or
  // IPFIX message or is damaged; the flows of the sets before the damage are still appended,
  // nothing after it is used, and the templates it installed stay.
  Status Decode(const IpAddr& exporter, std::span<const uint8_t> datagram, int64_t now_ms,
                std::vector<FlowRecord>* out);

  // Drops held data sets past their hold and exporters silent for a template lifetime. Decode
  // does the part for the exporter it decodes; call this now and then for the rest.
  void Expire(int64_t now_ms);

  const DecoderStats& stats() const { return stats_; }
  size_t exporters() const { return exporters_.size(); }
  size_t pending_bytes() const { return pending_bytes_; }

 private:
  struct Key {
    IpAddr addr;
    uint32_t domain = 0;
    uint8_t version = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  ExporterState* StateFor(const Key& key, int64_t now_ms);
  Status DecodeV5(const IpAddr& exporter, std::span<const uint8_t> d, int64_t now_ms,
                  std::vector<FlowRecord>* out);
  Status DecodeTemplated(const IpAddr& exporter, Version version, std::span<const uint8_t> datagram,
                         int64_t now_ms, std::vector<FlowRecord>* out);
  // Walks the sets of one message; *records counts its data records, *held whether some of
  // them waited for a template (so their count is unknown).
  Status DecodeSets(const MessageContext& m, ExporterState& ex, std::span<const uint8_t> sets,
                    std::vector<FlowRecord>* out, uint64_t* records, bool* held);
  Status InstallTemplates(const MessageContext& m, ExporterState& ex, bool options,
                          std::span<const uint8_t> body, std::vector<FlowRecord>* out);
  // Decodes a data set, or holds it when its template is unknown (returns false in *decoded).
  Status DecodeData(const MessageContext& m, ExporterState& ex, uint16_t set_id,
                    std::span<const uint8_t> body, std::vector<FlowRecord>* out, uint64_t* records,
                    bool* decoded);
  void Hold(const MessageContext& m, ExporterState& ex, uint16_t set_id,
            std::span<const uint8_t> body);
  void ReleaseHeld(ExporterState& ex, uint16_t template_id, std::vector<FlowRecord>* out);
  // The template `id` of `ex`, or nullptr when it is unknown or past its lifetime (then gone).
  const Template* FindTemplate(ExporterState& ex, uint16_t id, int64_t now_ms);
  void DropStaleHeld(ExporterState& ex, int64_t now_ms);

  DecoderOptions options_;
  DecoderStats stats_;
  std::unordered_map<Key, std::unique_ptr<ExporterState>, KeyHash> exporters_;
  size_t pending_bytes_ = 0;
};

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_DECODER_H_
