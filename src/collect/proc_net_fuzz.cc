// libFuzzer target for the /proc/net/{tcp,tcp6,udp,udp6} parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collect/proc_net.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace portatlas;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (Family f : {Family::kIpv4, Family::kIpv6}) {
    for (Proto p : {Proto::kTcp, Proto::kUdp}) {
      collect::ProcNetTable t = collect::ParseProcNet(text, p, f, /*listening_only=*/false);
      for (const collect::SocketEntry& e : t.entries) {
        if (e.addr.family != f) __builtin_trap();  // the family must be the table's
      }
      (void)collect::ParseProcNetLine(text, p, f);
    }
  }
  return 0;
}
