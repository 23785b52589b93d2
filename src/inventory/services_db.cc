#include "inventory/services_db.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "core/file.h"
#include "core/text.h"

namespace portatlas::inventory {
namespace {
uint32_t Key(Proto proto, uint16_t port) { return (static_cast<uint32_t>(proto) << 16) | port; }
}  // namespace

ServicesDb ServicesDb::Parse(std::string_view text) {
  ServicesDb db;
  ForEachLine(text, [&](std::string_view line) {
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const auto fields = SplitFields(line);
    if (fields.empty()) return;
    if (fields.size() < 2) {
      ++db.bad_lines_;
      return;
    }
    const std::string_view spec = fields[1];
    const size_t slash = spec.find('/');
    if (slash == std::string_view::npos) {
      ++db.bad_lines_;
      return;
    }
    auto port = ParseUint(spec.substr(0, slash), 65535);
    const std::string_view proto = spec.substr(slash + 1);
    if (!port || (proto != "tcp" && proto != "udp")) {
      // sctp/ddp entries are legitimate but of no use to a TCP/UDP inventory.
      if (!port || (proto != "sctp" && proto != "ddp")) ++db.bad_lines_;
      return;
    }
    const Proto p = proto == "tcp" ? Proto::kTcp : Proto::kUdp;
    db.names_.try_emplace(Key(p, static_cast<uint16_t>(*port)), fields[0]);
  });
  return db;
}

// /etc/services is tens of KiB, nmap-services about 2 MiB.
constexpr size_t kMaxServicesBytes = 64 << 20;

Result<ServicesDb> ServicesDb::Load(const std::string& path) {
  PA_ASSIGN_OR_RETURN(text, ReadFileCapped(path, kMaxServicesBytes));
  return Parse(text);
}

std::string_view ServicesDb::Name(Proto proto, uint16_t port) const {
  auto it = names_.find(Key(proto, port));
  return it == names_.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace portatlas::inventory
