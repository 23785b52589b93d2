// Replies a host or a router would send to our probe frames, for the tests of the frame codec
// and of the raw engine's in-memory link. Checksums are not filled in (DecodeFrame does not
// check them).
#ifndef PORTATLAS_SCAN_TEST_FRAMES_H_
#define PORTATLAS_SCAN_TEST_FRAMES_H_

#include <cstdint>
#include <vector>

namespace portatlas::scan::testframes {

// The answer to a TCP probe: addresses and ports swapped, these flags and this ack.
std::vector<uint8_t> AnswerTo(std::vector<uint8_t> probe, uint8_t flags, uint32_t ack);
// The answer to a UDP probe: addresses and ports swapped, the same payload.
std::vector<uint8_t> UdpAnswerTo(std::vector<uint8_t> probe);
// An ICMP(v6) destination unreachable with `code` from `router` (an address of the probe's
// family) to the probe's source, quoting the probe's IP header and 8 bytes.
std::vector<uint8_t> Unreachable(const std::vector<uint8_t>& probe, const char* router,
                                 uint8_t code);

}  // namespace portatlas::scan::testframes

#endif  // PORTATLAS_SCAN_TEST_FRAMES_H_
