// libFuzzer target for the pcap path: the input is a run of frames (a link-type byte, a 2-byte
// length, the bytes), each parsed and given to one FlowBuilder with nDPI, its clock advancing;
// then everything is flushed. A crash, a hang, a flow with more packets than frames given, or
// one whose bytes exceed the IP bytes given is a failure.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "flow/pcap_flows.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace portatlas::flow;
  static std::unique_ptr<NdpiClassifier> dpi = std::move(*NdpiClassifier::Create());
  static const int kLinks[] = {kLinkEthernet, kLinkRaw, kLinkLinuxSll, kLinkLinuxSll2, kLinkNull};
  uint64_t packets = 0;
  uint64_t ip_bytes = 0;
  uint64_t seen_packets = 0;
  uint64_t seen_bytes = 0;
  FlowBuilderOptions options;
  options.max_flows = 64;
  FlowBuilder builder(*dpi, options, [&](const FlowRecord& f, const FlowLabel&) {
    seen_packets += f.packets + f.rev_packets;
    seen_bytes += f.bytes + f.rev_bytes;
  });
  std::vector<std::vector<uint8_t>> frames;  // alive until the flows end
  size_t pos = 0;
  int64_t t = 1'765'000'000'000;
  while (pos + 3 <= size) {
    const int link = kLinks[data[pos] % 5];
    const size_t n = std::min<size_t>(size_t{data[pos + 1]} << 8 | data[pos + 2], size - pos - 3);
    frames.emplace_back(data + pos + 3, data + pos + 3 + n);
    pos += 3 + n;
    auto info = ParsePacket(link, frames.back());
    t += data[pos - 1 - (n ? 0 : 0)] * 1000;
    if (!info) continue;
    ++packets;
    ip_bytes += info->ip_bytes;
    builder.Add(*info, t);
    if (packets % 16 == 0) builder.Expire(t);
  }
  builder.Flush();
  if (seen_packets != packets || seen_bytes != ip_bytes) std::abort();
  return 0;
}
