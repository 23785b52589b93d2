// libFuzzer target for the nmap-service-probes parser: any text parses (only text over the size
// limit is refused), warnings stay bounded, the database keeps its invariants, and matching the
// input against its own probes (the regexes and templates the input defines) stays safe.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "scan/detect/service_probes.h"
#include "scan/detect/version_template.h"

namespace {

using portatlas::scan::kMaxFieldBytes;
using portatlas::scan::Probe;
using portatlas::scan::ProbeDb;
using portatlas::scan::ServiceMatch;

bool Printable(const std::string& s) {
  return s.size() <= kMaxFieldBytes &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool Sorted(const std::vector<uint16_t>& v) {
  return std::adjacent_find(v.begin(), v.end(), [](uint16_t a, uint16_t b) { return a >= b; }) ==
         v.end();
}

void CheckMatch(const ServiceMatch& m) {
  for (const std::string* f : {&m.product, &m.version, &m.info, &m.hostname, &m.os, &m.device}) {
    if (!Printable(*f)) std::abort();
  }
  for (const std::string& cpe : m.cpes) {
    if (!Printable(cpe) || cpe.rfind("cpe:/", 0) != 0) std::abort();
  }
  if (m.service.empty() || m.line == 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto db = ProbeDb::Parse(text);
  if (!db) {
    if (size <= ProbeDb::kMaxFileBytes) std::abort();
    return 0;
  }
  if (db->warnings().size() > ProbeDb::kMaxWarnings + 1) std::abort();
  size_t null_probes = 0;
  for (const Probe& p : db->probes()) {
    null_probes += p.IsNull();
    if (p.name.empty() || p.line == 0 || p.rarity < 1 || p.rarity > 9) std::abort();
    if (p.totalwaitms < 100 || p.totalwaitms > 300000) std::abort();
    if (p.tcpwrappedms < 100 || p.tcpwrappedms > 300000) std::abort();
    if (!Sorted(p.ports) || !Sorted(p.sslports)) std::abort();
    for (const auto& rule : p.matches) {
      if (rule.regex == nullptr || rule.line <= p.line) std::abort();
    }
    if (db->FindProbe(p.name, p.tcp) != &p) std::abort();
  }
  if (null_probes > 1 || (null_probes == 1) != (db->null_probe() != nullptr)) std::abort();
  for (const bool tcp : {true, false}) {
    const auto order = db->ProbesFor(80, tcp, false, 7);
    if (tcp && db->null_probe() != nullptr && (order.empty() || order[0] != db->null_probe())) {
      std::abort();
    }
    for (const Probe* p : order) {
      if (p->tcp != tcp) std::abort();
    }
  }
  // The text as a response to each of the first few probes.
  const std::span<const uint8_t> response(data, size);
  for (size_t i = 0; i < db->probes().size() && i < 8; ++i) {
    const auto m = db->Match(db->probes()[i], response);
    if (m) CheckMatch(*m);
  }
  return 0;
}
