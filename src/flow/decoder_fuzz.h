// The body of the decoder's libFuzzer targets (netflow_v5_fuzz, netflow_v9_fuzz, ipfix_fuzz):
// the input is a run of datagrams, each a 2-byte length and its bytes, given to one decoder
// from two exporters with the version's number written over the first two bytes of each, so
// templates of one datagram meet data of the next. A crash, a hang, a flow count that disagrees
// with the flows produced, or held bytes past the budget is a failure.
#ifndef PORTATLAS_FLOW_DECODER_FUZZ_H_
#define PORTATLAS_FLOW_DECODER_FUZZ_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "flow/decoder.h"

namespace portatlas::flow {

inline int FuzzDecoder(const uint8_t* data, size_t size, uint16_t version) {
  DecoderOptions o;
  o.pending_max_bytes = 1 << 16;
  o.max_exporters = 2;
  o.max_templates_per_exporter = 64;
  FlowDecoder d(o);
  const IpAddr exporters[2] = {*ParseIpAddr("127.0.0.1"), *ParseIpAddr("::1")};
  std::vector<FlowRecord> out;
  size_t pos = 0;
  int64_t now_ms = 1'765'000'000'000;
  for (int i = 0; pos + 2 <= size; ++i) {
    const size_t n =
        std::min<size_t>((size_t{data[pos]} << 8 | data[pos + 1]) % 9000, size - pos - 2);
    std::vector<uint8_t> datagram(data + pos + 2, data + pos + 2 + n);
    pos += 2 + n;
    if (datagram.size() >= 2) {
      datagram[0] = static_cast<uint8_t>(version >> 8);
      datagram[1] = static_cast<uint8_t>(version);
    }
    const size_t before = out.size();
    const uint64_t flows_before = d.stats().flows;
    (void)d.Decode(exporters[i % 2], datagram, now_ms, &out);
    if (out.size() - before != d.stats().flows - flows_before) std::abort();
    if (d.pending_bytes() > o.pending_max_bytes) std::abort();
    now_ms += 7'000;
  }
  d.Expire(now_ms + o.template_lifetime_ms + 1);
  if (d.pending_bytes() != 0 || d.exporters() != 0) std::abort();
  return 0;
}

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_DECODER_FUZZ_H_
