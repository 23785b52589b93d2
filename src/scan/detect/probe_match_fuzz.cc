// libFuzzer target for the matcher: arbitrary bytes against a small fixed database whose match
// lines use every template form. The first byte picks the probe. Whatever matches has
// printable, bounded fields, and stays so through the detector's corrections (Refine), which
// also see the raw reply.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "scan/detect/detector_refine.h"
#include "scan/detect/service_probes.h"
#include "scan/detect/version_template.h"

namespace {

using portatlas::scan::kMaxFieldBytes;
using portatlas::scan::ProbeDb;

constexpr std::string_view kDb = R"(Probe TCP NULL q||
match nine m|^A(.)(.)(.)(.)(.)(.)(.)(.)(.)|s p/$1$2$3/ v/$P(4)/ i/$SUBST(5,"x","\x00y")/ h/$I(6,">")/ o/$I(7,"<")/ d/$8$9/ cpe:/a:$1:$2:$3/
match bin m|^B([^\0]*)\0(.{0,9})|s p/$P(1)/ v/$I(2,">")/ i/$I(2,"<")/ cpe:/a:b:$SUBST(1," ","_")/
softmatch soft m|^C|
match opt m|^(\w+)?D(\d*)(.*)$|is p/$1/ v/$2/ i/$3, $4/ cpe:/o:$3/a
match long m|^L(.*)|s p/$1/ v/$SUBST(1,"L","LLLL")/ i/$P(1)$P(1)/
Probe TCP Other q|o|
fallback NULL
match backtrack m=^(a|aa)+$= p/$1/
softmatch other m|^O(.*)$|s i/$1/
match other m|^OK (\S+)| p/Other/ v/$SUBST(1,".","_")/
Probe UDP Dgram q|d|
match dgram m|^(.*)$|s p/$1/ i/$P(1)/ cpe:/h:$1/
)";

const ProbeDb& Db() {
  static const ProbeDb kParsed = [] {
    auto db = ProbeDb::Parse(kDb);
    if (!db || !db->warnings().empty()) std::abort();
    return std::move(*db);
  }();
  return kParsed;
}

bool Printable(const std::string& s) {
  return s.size() <= kMaxFieldBytes &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ProbeDb& db = Db();
  const auto& probe = db.probes()[data[0] % db.probes().size()];
  const auto m = db.Match(probe, std::span<const uint8_t>(data + 1, size - 1));
  if (!m) return 0;
  for (const std::string* f :
       {&m->product, &m->version, &m->info, &m->hostname, &m->os, &m->device}) {
    if (!Printable(*f)) std::abort();
  }
  for (const std::string& cpe : m->cpes) {
    if (!Printable(cpe) || cpe.rfind("cpe:/", 0) != 0) std::abort();
  }
  if (m->soft != (m->service == "soft" || (m->service == "other" && m->product.empty()))) {
    std::abort();
  }
  // The corrections key on service and product; give each rule the fuzzed fields to chew on.
  const std::span<const uint8_t> reply(data + 1, size - 1);
  for (const char* service : {"mysql", "ntp", "netbios-ssn", "microsoft-ds"}) {
    portatlas::scan::ServiceMatch r = *m;
    r.service = service;
    if (r.service == "ntp") r.product = "NTP";
    if (r.service == "netbios-ssn") r.product = "Samba smbd";
    portatlas::scan::Refine(r, static_cast<uint16_t>(data[0] * 7), data[0] % 2 == 0, reply);
    for (const std::string* f : {&r.product, &r.version, &r.info}) {
      if (f->size() > 4 * kMaxFieldBytes) std::abort();
      if (!std::all_of(f->begin(), f->end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
        std::abort();
      }
    }
  }
  return 0;
}
