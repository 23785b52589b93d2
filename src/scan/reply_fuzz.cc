// Fuzzes reply decoding: any bytes from the wire decode or are refused, never read out of
// bounds; what decodes is self-consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "scan/packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace portatlas::scan;
  if (auto sol = DecodeNeighborSolicit(std::span<const uint8_t>(data, size))) {
    uint8_t out[128];
    const size_t n = BuildNeighborAdvert(*sol, MacAddr{2, 0, 0, 0, 0, 1}, out);
    if (n > sizeof out || sol->target.family != sol->requester.family) std::abort();
  }
  auto r = DecodeFrame(std::span<const uint8_t>(data, size));
  if (!r) return 0;
  if (r->src.family != r->dst.family) std::abort();
  if (r->kind == ReplyKind::kIcmpUnreach) {
    if (r->quoted_dst.family != r->src.family) std::abort();
    (void)IcmpReason(*r);
  }
  return 0;
}
