// libFuzzer target for the scanner's target and port specifications and -iL lists. Names never
// reach a resolver here.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "scan/ports.h"
#include "scan/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace portatlas;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto no_dns = [](const std::string&) -> Result<std::vector<IpAddr>> {
    return NotFound("no resolver in the fuzzer");
  };
  if (auto set = scan::ParseTargets(scan::SplitTargetList(text), no_dns)) {
    const uint64_t n = set->Size();
    if (n > scan::TargetSet::kMaxAddresses) std::abort();
    if (n > 0 && !set->Contains(set->At(n - 1))) std::abort();
    if (!set->Covers(*set)) std::abort();
  }
  if (auto ports = scan::ParsePortSpec(text)) {
    for (const auto* v : {&ports->any, &ports->tcp, &ports->udp}) {
      for (size_t i = 1; i < v->size(); ++i) {
        if ((*v)[i - 1] >= (*v)[i]) std::abort();
      }
    }
  }
  (void)scan::TopPorts(text, "tcp", 100);
  return 0;
}
