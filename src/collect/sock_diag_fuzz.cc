// libFuzzer target for the netlink sock_diag reply parser.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "collect/sock_diag.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<portatlas::collect::SocketEntry> out;
  bool done = false;
  (void)portatlas::collect::ParseSockDiagReply(std::span<const uint8_t>(data, size),
                                               portatlas::Proto::kTcp, &out, &done);
  return 0;
}
